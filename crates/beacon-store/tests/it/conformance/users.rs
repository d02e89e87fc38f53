//! Conformance of users and sessions: the first admin once, unique emails, always an admin, sessions that expire
//! and end with a password change.

use super::*;

pub async fn users_sessions_and_the_last_admin(store: Arc<dyn Store>) {
    use beacon_core::user::{Role, SessionLimits};
    assert_eq!(store.count_users().await.expect("count"), 0);
    let admin = store
        .create_first_user("Ada", "ada@example.com", "$argon2id$hash-a", T0)
        .await
        .expect("first user");
    assert_eq!(admin.role, Role::Admin);
    assert!(matches!(
        store
            .create_first_user("Eve", "eve@example.com", "$argon2id$hash-e", T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let bob = store
        .create_user(
            "Bob",
            "bob@example.com",
            Role::Viewer,
            "$argon2id$hash-b",
            T0 + 1,
        )
        .await
        .expect("bob");
    assert!(matches!(
        store
            .create_user("Bob 2", "bob@example.com", Role::Editor, "h", T0 + 2)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .list_users()
            .await
            .expect("list")
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>(),
        ["Ada", "Bob"]
    );
    let (found, hash) = store
        .user_by_email("bob@example.com")
        .await
        .expect("by email")
        .expect("bob");
    assert_eq!((found.id, hash.as_str()), (bob.id, "$argon2id$hash-b"));
    assert!(
        store
            .user_by_email("nobody@example.com")
            .await
            .expect("none")
            .is_none()
    );

    // Always an admin: the only one can be neither demoted nor deleted; with a second one, it can.
    let demote = UserChange {
        role: Some(Role::Editor),
        ..UserChange::default()
    };
    assert!(matches!(
        store.update_user(admin.id, &demote, T0 + 3).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.delete_user(admin.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_user(admin.id).await.expect("kept").role,
        Role::Admin
    );
    let promoted = store
        .update_user(
            bob.id,
            &UserChange {
                role: Some(Role::Admin),
                name: Some("Robert".into()),
                ..UserChange::default()
            },
            T0 + 4,
        )
        .await
        .expect("promote");
    assert_eq!(
        (promoted.role, promoted.name.as_str()),
        (Role::Admin, "Robert")
    );
    store
        .update_user(admin.id, &demote, T0 + 5)
        .await
        .expect("demote now");

    // Sessions: valid within the limits, gone when idle too long, and all of a user's end with a new password.
    let limits = SessionLimits {
        idle: 100_000,
        absolute: 1_000_000,
    };
    store
        .create_session(bob.id, &[1; 32], "csrf-1", T0 + 10)
        .await
        .expect("session");
    store
        .create_session(bob.id, &[2; 32], "csrf-2", T0 + 10)
        .await
        .expect("second session");
    let s = store
        .session(&[1; 32], limits, T0 + 50_000)
        .await
        .expect("lookup")
        .expect("valid");
    assert_eq!((s.user.id, s.csrf.as_str()), (bob.id, "csrf-1"));
    assert!(
        store
            .session(&[9; 32], limits, T0)
            .await
            .expect("lookup")
            .is_none()
    );
    assert!(
        store
            .session(&[2; 32], limits, T0 + 200_000)
            .await
            .expect("lookup")
            .is_none(),
        "idle too long"
    );
    store
        .set_user_password(bob.id, "$argon2id$new", T0 + 60_000)
        .await
        .expect("password");
    assert!(
        store
            .session(&[1; 32], limits, T0 + 60_001)
            .await
            .expect("lookup")
            .is_none()
    );
    assert_eq!(
        store.password_hash(bob.id).await.expect("hash"),
        "$argon2id$new"
    );
    store
        .create_session(admin.id, &[3; 32], "csrf-3", T0)
        .await
        .expect("session");
    store.delete_session(&[3; 32]).await.expect("sign out");
    assert!(
        store
            .session(&[3; 32], limits, T0 + 1)
            .await
            .expect("lookup")
            .is_none()
    );
    store
        .delete_user(admin.id)
        .await
        .expect("delete the non-admin now");
    assert_eq!(store.count_users().await.expect("count"), 1);
}

/// A token made by a person is theirs: its credentials carry their role now, and it goes with them.
pub async fn tokens_owned_by_users(store: Arc<dyn Store>) {
    use beacon_core::token::{self, Scope};
    use beacon_core::user::Role;
    let admin = store
        .create_first_user("Ada", "ada@example.com", "h", T0)
        .await
        .expect("admin");
    let ed = store
        .create_user("Ed", "ed@example.com", Role::Editor, "h", T0)
        .await
        .expect("editor");
    let new = token::generate(Uuid::new_v4(), [7; 32]);
    let t = store
        .create_token("ed's ci", Scope::Write, &new, Some(ed.id), T0)
        .await
        .expect("owned token");
    assert_eq!(t.owner, Some(ed.id));
    let listed = store.list_tokens().await.expect("list");
    assert_eq!(
        listed.iter().find(|x| x.id == t.id).map(|x| x.owner),
        Some(Some(ed.id))
    );
    let creds = |id| {
        let store = store.clone();
        async move { store.token_credentials(id).await.expect("creds") }
    };
    assert_eq!(
        creds(t.id).await.expect("exists").owner_role,
        Some(Role::Editor)
    );
    // Demoted: the credentials say so at once.
    store
        .update_user(
            ed.id,
            &beacon_store::UserChange {
                role: Some(Role::Viewer),
                ..Default::default()
            },
            T0 + 1,
        )
        .await
        .expect("demote");
    assert_eq!(
        creds(t.id).await.expect("exists").owner_role,
        Some(Role::Viewer)
    );
    // An owner that does not exist is refused, and nothing is stored.
    let stray = token::generate(Uuid::new_v4(), [8; 32]);
    assert!(matches!(
        store
            .create_token("stray", Scope::Read, &stray, Some(Uuid::new_v4()), T0)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(creds(stray.id).await.is_none());
    // Deleted with its owner.
    store.delete_user(ed.id).await.expect("delete ed");
    assert!(creds(t.id).await.is_none());
    assert_eq!(admin.role, Role::Admin);
}
