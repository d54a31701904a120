//! The one portable schema: every column type here means the same on SQLite and Postgres.

diesel::table! {
    tenants (id) {
        id -> BigInt,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        name -> Text,
        email -> Text,
        is_online -> Bool,
        email_notifications -> Bool,
        created_at -> BigInt,
        password_hash -> Nullable<Text>,
        permissions -> Text,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        scope -> Text,
        failed_at -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> Nullable<BigInt>,
        prefix -> Text,
        key_hash -> Text,
        permissions -> Text,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    chat_accounts (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        name -> Text,
        token -> Text,
        secret -> Text,
        language -> Text,
        greeting -> Text,
        offline_message -> Text,
        required_fields -> Text,
        time_zone -> Text,
        service_hours -> Text,
        attachment_max_bytes -> BigInt,
        attachment_types -> Text,
        queue_enabled -> Bool,
        queue_max_length -> Integer,
        default_wait_seconds -> Integer,
        transcripts -> Bool,
        created_at -> BigInt,
        webhook_token -> Text,
        waiting_chats -> BigInt,
        purge_after_days -> Integer,
        close_solved_after_days -> Integer,
        group_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    agent_groups (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    agent_group_members (group_id, user_id) {
        group_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    allowed_domains (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        domain -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    blocked_ips (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        cidr -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    customers (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        purged_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        customer_id -> BigInt,
        title -> Text,
        status -> Text,
        priority -> Text,
        channel_id -> Integer,
        direction -> Text,
        assigned_user_id -> Nullable<BigInt>,
        source_url -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_update_customer -> Nullable<BigInt>,
        closed_at -> Nullable<BigInt>,
        deleted_at -> Nullable<BigInt>,
        last_update_agent -> Nullable<BigInt>,
        chat_state -> Nullable<Text>,
        assigned_group_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    stream_events (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> Nullable<BigInt>,
        kind -> Text,
        data -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ticket_tags (ticket_id, tag) {
        ticket_id -> BigInt,
        tenant_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> BigInt,
        kind -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        user_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    chat_sessions (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        chat_account_id -> BigInt,
        ticket_id -> BigInt,
        chat_server -> Text,
        chat_session_id -> Text,
        state -> Text,
        queue_entered_at -> BigInt,
        initial_estimated_wait -> Integer,
        picked_up_at -> Nullable<BigInt>,
        ended_at -> Nullable<BigInt>,
        typing -> Bool,
        last_event -> Nullable<Text>,
        last_event_at -> Nullable<BigInt>,
        created_at -> BigInt,
        wait_alerted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> BigInt,
        session_id -> Nullable<BigInt>,
        author -> Text,
        body -> Text,
        message_number -> Integer,
        url -> Text,
        additional_data -> Text,
        used_predefined_user_input -> Bool,
        external_address_overwrite -> Text,
        idempotency_key -> Nullable<Text>,
        retry_key -> Nullable<Text>,
        created_at -> BigInt,
        user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> BigInt,
        message_id -> Nullable<BigInt>,
        chat_account_id -> BigInt,
        kind -> Text,
        url -> Text,
        body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<BigInt>,
        created_at -> BigInt,
        attachment_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    chat_events (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> BigInt,
        session_id -> BigInt,
        kind -> Text,
        url -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> BigInt,
        session_id -> Nullable<BigInt>,
        message_number -> Nullable<Integer>,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        created_at -> BigInt,
        purged_at -> Nullable<BigInt>,
        author -> Text,
        message_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    mails (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        ticket_id -> Nullable<BigInt>,
        message_id -> Nullable<BigInt>,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        message_id_header -> Text,
        in_reply_to -> Nullable<Text>,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        ticket_id -> Nullable<BigInt>,
        text -> Text,
        is_read -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    views (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        name -> Text,
        conditions -> Text,
        sort_field -> Text,
        sort_direction -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    customer_external_ids (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        customer_id -> BigInt,
        source -> Text,
        external_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    inbound_mails (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        message_id_header -> Text,
        kind -> Text,
        ticket_id -> Nullable<BigInt>,
        message_id -> Nullable<BigInt>,
        received_at -> BigInt,
    }
}

diesel::joinable!(api_keys -> tenants (tenant_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(chat_accounts -> tenants (tenant_id));
diesel::joinable!(tickets -> customers (customer_id));
diesel::joinable!(chat_sessions -> tickets (ticket_id));
diesel::joinable!(messages -> tickets (ticket_id));
diesel::joinable!(attachments -> tickets (ticket_id));
diesel::joinable!(ticket_tags -> tickets (ticket_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(mails -> tickets (ticket_id));

diesel::joinable!(agent_group_members -> agent_groups (group_id));

diesel::allow_tables_to_appear_in_same_query!(
    agent_groups,
    agent_group_members,
    stream_events,
    tenants,
    users,
    api_keys,
    chat_accounts,
    allowed_domains,
    blocked_ips,
    customers,
    tickets,
    chat_sessions,
    messages,
    chat_events,
    attachments,
    ticket_tags,
    ticket_events,
    deliveries,
    mails,
    notifications,
    views,
    console_sessions,
    password_resets,
    sign_in_failures,
    customer_external_ids,
    inbound_mails,
);
