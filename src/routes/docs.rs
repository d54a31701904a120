//! The API's own reference: the OpenAPI document, and Swagger UI rendering it.
//!
//! Swagger UI (swagger-ui-dist 5.35.0, Apache-2.0, `assets/swagger-ui/`) is built into the
//! binary and served from here: the page works without internet access, and no script from
//! another origin ever runs on the API's origin (the page's Content-Security-Policy allows
//! only this server's own scripts).

use actix_web::http::header::{self, ContentType};
use actix_web::{web, HttpResponse};

use crate::error::ApiError;

/// `GET /api/v2/openapi.json`: the OpenAPI document of every route. No key needed.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(crate::openapi::json())
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

/// `GET /api/docs`: the interactive reference. No key needed (calls made from it need one:
/// "Authorize" takes it).
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(PAGE)
}

/// `GET /api/docs/{file}`: the page's script and styles, from the binary.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (body, content_type): (&'static [u8], &str) = match file.as_str() {
        "swagger-ui-bundle.js" => (SWAGGER_UI_JS, "text/javascript; charset=utf-8"),
        "swagger-ui.css" => (SWAGGER_UI_CSS, "text/css; charset=utf-8"),
        "init.js" => (INIT_JS.as_bytes(), "text/javascript; charset=utf-8"),
        other => return Err(ApiError::Missing(format!("no file {other}"))),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Names change with the binary, not within it: a day is safe.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body))
}

const SWAGGER_UI_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_UI_CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");

const INIT_JS: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v2/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});
"##;

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>omnibridge API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <noscript>This page needs JavaScript. The OpenAPI document itself is at
    <a href="/api/v2/openapi.json">/api/v2/openapi.json</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
"##;
