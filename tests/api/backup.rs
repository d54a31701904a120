//! `omnibridge backup` and `restore` (SQLite): a copy taken while messages keep arriving.

use diesel::prelude::*;
use omnibridge::db::Db;
use omnibridge::services::backup;

use crate::helpers::spawn_app;

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

fn text(db: &Db, sql: &str) -> String {
    let sql = sql.to_owned();
    db.read_blocking(move |conn| {
        Ok(diesel::sql_query(sql.clone())
            .get_result::<Text>(conn)?
            .text)
    })
    .expect("a text query")
}

#[tokio::test]
async fn a_backup_taken_while_messages_arrive_holds_everything_committed_before_it() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("omnibridge-backup.tar");
    let settings = app.settings().clone();
    if app.is_postgres() {
        let refused = backup::backup(&settings, &file).unwrap_err();
        assert!(refused.to_string().contains("pg_dump"), "{refused}");
        assert!(!file.exists());
        return;
    }
    for i in 0..20 {
        let a = app
            .send_message(
                &format!("session-backup-{:02}", i % 4),
                &format!("before {i}"),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let up = app
        .upload("session-backup-00", "note.txt", b"bytes to keep".to_vec())
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let committed = app.count("SELECT COUNT(*) AS n FROM messages");
    let last = app.count("SELECT MAX(id) AS n FROM messages");
    let stored_as = text(&app.db, "SELECT storage_key AS text FROM attachments");

    // Messages keep arriving while the copy is taken.
    let writing = async {
        for i in 0..200 {
            let a = app
                .send_message(
                    &format!("session-backup-{:02}", i % 4),
                    &format!("during {i}"),
                )
                .await;
            assert_eq!(a.status, 200, "{}", a.body);
        }
    };
    let path = file.clone();
    let taking = tokio::task::spawn_blocking(move || backup::backup(&settings, &path));
    let ((), taken) = tokio::join!(writing, taking);
    let taken = taken.unwrap().expect("backup");
    assert!(taken.bytes > 0);
    assert!(file.exists());
    // The copy was taken while the server wrote: a second one may not overwrite it.
    let again = backup::backup(app.settings(), &file).unwrap_err();
    assert!(again.to_string().contains("exists"), "{again}");

    // Put it back somewhere else, and open it.
    let mut elsewhere = app.settings().clone();
    elsewhere.database.url = dir.path().join("restored.db").display().to_string();
    elsewhere.attachments.dir = dir.path().join("restored-files");
    let restored = backup::restore(&elsewhere, &file, false).expect("restore");
    assert!(restored.attachments >= 1);
    let copy = Db::connect(&elsewhere.database.url, 1, "FULL").expect("the copy opens");
    assert_eq!(
        text(
            &copy,
            "SELECT integrity_check AS text FROM pragma_integrity_check"
        ),
        "ok"
    );
    let count = |sql: &str| text(&copy, &format!("SELECT CAST(({sql}) AS TEXT) AS text"));
    assert_eq!(
        count(&format!("SELECT COUNT(*) FROM messages WHERE id <= {last}")),
        committed.to_string(),
        "every message committed before the backup began is in it"
    );
    assert_eq!(
        std::fs::read(elsewhere.attachments.dir.join(&stored_as)).expect("the file"),
        b"bytes to keep"
    );
    drop(copy);
    // A database in the way is replaced only on purpose.
    let refused = backup::restore(&elsewhere, &file, false).unwrap_err();
    assert!(refused.to_string().contains("--force"), "{refused}");
    backup::restore(&elsewhere, &file, true).expect("a forced restore");
}
