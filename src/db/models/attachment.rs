use diesel::prelude::*;

use crate::db::schema::attachments;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::on_backend;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment<'a> {
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub session_id: Option<i64>,
    pub message_number: Option<i32>,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub created_at: i64,
}

pub struct Attachment;

impl Attachment {
    pub fn create(conn: &mut DbConnection, new: &NewAttachment<'_>) -> Result<i64, ApiError> {
        let id = on_backend!(conn, |c| diesel::insert_into(attachments::table)
            .values(new)
            .returning(attachments::id)
            .get_result(c))?;
        Ok(id)
    }
}
