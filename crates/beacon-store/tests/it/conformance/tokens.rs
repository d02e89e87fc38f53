//! Conformance of API tokens: one first-start token ever, revocation, credentials by id.

use super::*;

pub async fn tokens_bootstrap_once_and_revoke(store: Arc<dyn Store>) {
    use beacon_core::token::{self, Scope};
    let boot = token::generate(Uuid::new_v4(), [1; 32]);
    let rival = token::generate(Uuid::new_v4(), [2; 32]);
    let (a, b) = tokio::join!(
        store.create_bootstrap_token(&boot, T0),
        store.create_bootstrap_token(&rival, T0)
    );
    assert_eq!(
        [a.expect("bootstrap"), b.expect("bootstrap")]
            .iter()
            .filter(|c| **c)
            .count(),
        1,
        "exactly one bootstrap token"
    );
    let ci = token::generate(Uuid::new_v4(), [3; 32]);
    let created = store
        .create_token("ci", Scope::Read, &ci, None, T0)
        .await
        .expect("create");
    assert_eq!((created.name.as_str(), created.scope), ("ci", Scope::Read));
    let creds = store
        .token_credentials(ci.id)
        .await
        .expect("creds")
        .expect("exists");
    assert_eq!((creds.scope, creds.revoked), (Scope::Read, false));
    assert!(token::hashes_match(&creds.secret_hash, &ci.secret_hash));
    assert_eq!(store.list_tokens().await.expect("list").len(), 2);
    let revoked = store.revoke_token(ci.id, T0 + 1).await.expect("revoke");
    assert_eq!(revoked.revoked_at, Some(T0 + 1));
    assert!(
        store
            .token_credentials(ci.id)
            .await
            .expect("creds")
            .expect("exists")
            .revoked
    );
    for again in [T0 + 1, T0 + 2] {
        assert!(
            matches!(
                store.revoke_token(ci.id, again).await,
                Err(StoreError::Conflict(_))
            ),
            "a second revoke is a conflict, even in the same millisecond"
        );
    }
    assert!(matches!(
        store.revoke_token(Uuid::new_v4(), T0).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .token_credentials(Uuid::new_v4())
            .await
            .expect("creds")
            .is_none()
    );
    // Even after every token is revoked, a second bootstrap never happens.
    assert!(
        !store
            .create_bootstrap_token(&token::generate(Uuid::new_v4(), [4; 32]), T0)
            .await
            .expect("again")
    );
}
