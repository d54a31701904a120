//! The API's own reference: the OpenAPI document and a page that renders it.

use actix_web::http::header::ContentType;
use actix_web::HttpResponse;

/// `GET /api/v2/openapi.json`: the OpenAPI document of every route. No key needed.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(crate::openapi::json())
}

/// `GET /api/docs`: Scalar's interactive reference, which loads its script from a CDN and
/// the document from `/api/v2/openapi.json`. No key needed.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>omnibridge API</title>
</head>
<body>
  <noscript>This page needs JavaScript from cdn.jsdelivr.net. The OpenAPI document itself is
    at <a href="/api/v2/openapi.json">/api/v2/openapi.json</a>.</noscript>
  <div id="app"></div>
  <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
  <script>
    Scalar.createApiReference('#app', { url: '/api/v2/openapi.json' })
  </script>
</body>
</html>
"#;
