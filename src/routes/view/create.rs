use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::fields::FieldReader;
use crate::domain::permission::Permission;
use crate::domain::view::{conditions_from_text, Sort};
use crate::error::ApiError;
use crate::extract::{read_fields, Auth};
use crate::openapi::answers::{
    BadRequest, Forbidden, Item, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::openapi::requests::ViewCreateForm;
use crate::routes::item;
use crate::services::views::{self, View, ViewInput};

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
pub async fn handle(
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
