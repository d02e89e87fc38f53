//! Conformance of regions: the default one checks every endpoint so far; names are unique and validated.

use super::*;

pub async fn regions_are_named_once(store: Arc<dyn Store>) {
    setup(&store, 60).await;
    let listed = store.list_regions().await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|r| (r.name.as_str(), r.endpoints))
            .collect::<Vec<_>>(),
        [("default", 1)]
    );
    let eu = store.create_region(" eu-west ").await.expect("create");
    assert_eq!((eu.name.as_str(), eu.endpoints), ("eu-west", 0));
    assert!(matches!(
        store.create_region("eu-west").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_region("EU West").await,
        Err(StoreError::Invalid(e)) if e.field == "name"
    ));
    store.create_region("us-east").await.expect("another");
    let names: Vec<String> = store
        .list_regions()
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["default", "eu-west", "us-east"]);
}
