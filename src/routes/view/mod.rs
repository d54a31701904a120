//! `/api/v2/view`: saved ticket filters.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::config::Settings;
use crate::db::models::view::ViewRow;
use crate::db::Db;
use crate::domain::fields::{paging, FieldReader};
use crate::domain::permission::Permission;
use crate::domain::view::{conditions_from_text, Sort};
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, List, NotFound, Outcome, PayloadTooLarge, Unauthorized,
    UnsupportedMediaType, View, ViewDeleted,
};
use crate::openapi::requests::{ViewCreateForm, ViewListQuery, ViewUpdateForm};
use crate::routes::{item, list, on, path_id, result, Router};
use crate::services::views::{self, ViewInput};

pub(crate) const MAX_LIMIT: i64 = 9999;

pub fn routes(r: &mut Router) {
    r.resource(
        "/api/v2/view",
        [on(Method::GET, list_views), on(Method::POST, create_view)],
    );
    r.resource(
        "/api/v2/view/{id}",
        [
            on(Method::GET, get_view),
            on(Method::PUT, update_view),
            on(Method::DELETE, delete_view),
        ],
    );
}

/// Views
///
/// The tenant's saved ticket filters; `GET /api/v2/ticket?applyView={id}` lists a view's
/// tickets.
///
/// Permission: `VIEW_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/view",
    operation_id = "listViews",
    tag = "view",
    params(ViewListQuery),
    responses(
        (status = 200, description = "One page.", body = List<View>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("apiKey" = [])),
)]
async fn list_views(
    Auth(auth): Auth,
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewRead)?;
    let mut q = FieldReader::from_query(req.query_string())?;
    let (start, limit) = paging(&mut q, MAX_LIMIT);
    q.finish()?;
    let tenant = auth.tenant_id;
    let (rows, total) = db
        .read(move |conn| ViewRow::list(conn, tenant, start, limit))
        .await?;
    let items: Vec<_> = rows.iter().map(views::to_json).collect();
    Ok(list(items, start, limit, total))
}

/// One view
///
/// Permission: `VIEW_READ`.
#[utoipa::path(
    get,
    path = "/api/v2/view/{id}",
    operation_id = "getView",
    tag = "view",
    params(
        ("id" = i64, Path, minimum = 1, description = "The view's id."),
    ),
    responses(
        (status = 200, description = "The view.", body = Item<View>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
async fn get_view(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewRead)?;
    let (id, tenant) = (path_id(&id, "view")?, auth.tenant_id);
    let row = db.read(move |conn| ViewRow::find(conn, tenant, id)).await?;
    Ok(item(views::to_json(&row)))
}

/// A new view
///
/// An invalid condition is a `400` naming it (`conditions[2]`: `unknown_field`,
/// `unknown_operator` or `invalid_value`, with what would be right).
///
/// Permission: `VIEW_CUD`.
#[utoipa::path(
    post,
    path = "/api/v2/view",
    operation_id = "createView",
    tag = "view",
    request_body(content(
        (ViewCreateForm = "multipart/form-data"),
        (ViewCreateForm = "application/x-www-form-urlencoded"),
        (ViewCreateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The new view.", body = Item<View>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
async fn create_view(
    Auth(auth): Auth,
    req: HttpRequest,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewCud)?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let name = f.text("name", true, 1, 255);
    let conditions = f.text("conditions", false, 1, 65_536);
    let sort = f.text("sort", false, 1, 200);
    f.finish()?;
    let input = ViewInput {
        name: name.unwrap_or_default(),
        conditions: match conditions {
            Some(text) => conditions_from_text(&text)?,
            None => Vec::new(),
        },
        sort: sort
            .map(|s| Sort::parse(&s))
            .transpose()?
            .unwrap_or_default(),
    };
    Ok(item(
        views::create(&db, auth.tenant_id, auth.user_id, input).await?,
    ))
}

/// Change a view
///
/// Only the fields sent change; an invalid condition is a `400` naming it.
///
/// Permission: `VIEW_CUD`.
#[utoipa::path(
    put,
    path = "/api/v2/view/{id}",
    operation_id = "updateView",
    tag = "view",
    params(
        ("id" = i64, Path, minimum = 1, description = "The view's id."),
    ),
    request_body(content(
        (ViewUpdateForm = "multipart/form-data"),
        (ViewUpdateForm = "application/x-www-form-urlencoded"),
        (ViewUpdateForm = "application/json"),
    )),
    responses(
        (status = 200, description = "The view.", body = Item<View>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("apiKey" = [])),
)]
async fn update_view(
    Auth(auth): Auth,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewCud)?;
    let id = path_id(&id, "view")?;
    let mut f = FieldReader::new(read_fields(&req, payload, settings.server.max_body_bytes).await?);
    let name = f.text("name", false, 1, 255);
    let conditions = f.text("conditions", false, 1, 65_536);
    let sort = f.text("sort", false, 1, 200);
    f.finish()?;
    let conditions = conditions.map(|t| conditions_from_text(&t)).transpose()?;
    let sort = sort.map(|s| Sort::parse(&s)).transpose()?;
    Ok(item(
        views::update(&db, auth.tenant_id, id, name, conditions, sort).await?,
    ))
}

/// Remove a view
///
/// Permission: `VIEW_CUD`.
#[utoipa::path(
    delete,
    path = "/api/v2/view/{id}",
    operation_id = "deleteView",
    tag = "view",
    params(
        ("id" = i64, Path, minimum = 1, description = "The view's id."),
    ),
    responses(
        (status = 200, description = "Removed; the message is `View deleted.`",
            body = Outcome<ViewDeleted>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("apiKey" = [])),
)]
async fn delete_view(
    Auth(auth): Auth,
    id: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Permission::ViewCud)?;
    let (id, tenant) = (path_id(&id, "view")?, auth.tenant_id);
    db.write(move |conn| {
        ViewRow::find(conn, tenant, id)?;
        ViewRow::delete(conn, id)
    })
    .await?;
    Ok(result("View deleted.", json!({"viewID": id})))
}
