// The migrations are embedded into the binary (diesel_migrations::embed_migrations!): rebuild
// when any of them changes, including new folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
