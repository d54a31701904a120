//! The OpenAPI document against the server: every route the server has is documented,
//! nothing documented is missing from the server, and the interactive page loads it.

use std::collections::BTreeSet;

use omnibridge::routes;
use serde_json::Value;

use crate::helpers::spawn_app;

/// Routes the server has on purpose without a place in the document, and why.
const UNDOCUMENTED: [(&str, &str, &str); 3] = [
    ("GET", "/api/v2/openapi.json", "the document itself"),
    ("GET", "/api/docs", "a page that renders the document"),
    ("GET", "/api/docs/{file}", "that page's script and styles"),
];

const METHODS: [&str; 9] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "query",
];

type Route = (String, String);

fn documented_routes(doc: &Value) -> BTreeSet<Route> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

fn listing(routes: &BTreeSet<Route>) -> String {
    routes
        .iter()
        .map(|(method, path)| format!("  {method} {path}\n"))
        .collect()
}

/// The answer of a path the server does not route.
fn is_unrouted(status: u16, body: &Value) -> bool {
    status == 404
        && body["code"] == "not_found"
        && body["message"] == "no route for this method and path"
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_servers_routes() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(format!("{}/api/v2/openapi.json", app.address))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = response.json().await.expect("the document is JSON");
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3."), "OpenAPI 3.x, not {version}");
    assert_eq!(doc["info"]["title"], "omnibridge");

    let table: BTreeSet<Route> = routes::table().into_iter().collect();
    let undocumented: BTreeSet<Route> = UNDOCUMENTED
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()))
        .collect();
    let stale = listing(&undocumented.difference(&table).cloned().collect());
    assert!(
        stale.is_empty(),
        "UNDOCUMENTED names routes the server lacks:\n{stale}"
    );

    let served: BTreeSet<Route> = table.difference(&undocumented).cloned().collect();
    let documented = documented_routes(&doc);
    let lacking = listing(&served.difference(&documented).cloned().collect());
    let invented = listing(&documented.difference(&served).cloned().collect());
    assert!(
        lacking.is_empty() && invented.is_empty(),
        "the document and the server's routes differ\n\
         served but not documented (add #[utoipa::path] and list it in openapi::ApiDoc):\n{lacking}\
         documented but not served:\n{invented}"
    );
}

#[tokio::test]
async fn every_route_in_the_table_is_served() {
    let app = spawn_app().await;

    // The control: what an unrouted path answers.
    let unrouted = app
        .agent_call(reqwest::Method::GET, "no-such-thing", "", None)
        .await;
    assert!(is_unrouted(unrouted.status, &unrouted.body));

    let table = routes::table();
    assert!(table.len() > 30, "only {} routes?", table.len());
    for (method, path) in table {
        // Any id will do: without a key the answer is 401 before anything is looked up.
        let concrete: Vec<&str> = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect();
        let url = format!("{}{}", app.address, concrete.join("/"));
        let response = app
            .client
            .request(method.parse().expect("a method"), &url)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            !is_unrouted(status, &body) && status != 405,
            "{method} {path} is in the table but the server answers {status} {body}"
        );
    }
}

#[tokio::test]
async fn the_docs_page_renders_the_document() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(format!("{}/api/docs", app.address))
        .send()
        .await
        .expect("request sent");

    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = response.text().await.expect("body");

    // Everything the page loads comes from this server, and says what it is.
    let mut loaded = 0;
    for (attribute, content_type) in [("src=\"", "text/javascript"), ("href=\"", "text/css")] {
        for piece in page.split(attribute).skip(1) {
            let url = piece.split('"').next().unwrap();
            if url.starts_with("/api/v2/openapi.json") {
                continue;
            }
            assert!(url.starts_with("/api/docs/"), "{url} is not served here");
            let asset = app
                .client
                .get(format!("{}{url}", app.address))
                .send()
                .await
                .expect("request sent");
            assert_eq!(asset.status().as_u16(), 200, "{url}");
            assert!(
                asset.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with(content_type),
                "{url}"
            );
            assert!(asset.bytes().await.unwrap().len() > 10, "{url}");
            loaded += 1;
        }
    }
    assert_eq!(loaded, 3, "{page}");
    let init = app
        .client
        .get(format!("{}/api/docs/init.js", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/v2/openapi.json"), "{init}");
    let missing = app
        .client
        .get(format!("{}/api/docs/..%2F..%2FCargo.toml", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

#[test]
fn every_operation_has_a_summary_and_a_response() {
    let doc = serde_json::to_value(omnibridge::openapi::document()).expect("serializes");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            operations += 1;
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.trim().is_empty(), "{method} {path} has no summary");
            let responses = operation["responses"].as_object();
            assert!(
                responses.is_some_and(|r| !r.is_empty()),
                "{method} {path} has no response"
            );
        }
    }
    assert!(operations > 30, "only {operations} operations?");
}
