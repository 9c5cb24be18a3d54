// The one list of the window's commands over Tauri's IPC, as `module::name`: the user's actions
// and what the window asks once. `build.rs` generates a permission for each (`allow-<name>`) and
// the window's capability granting exactly these; `lib.rs` registers their handlers. A command
// not listed here cannot be invoked. What the window reads over and over (on every push, refresh
// or playback step) is not here: it comes over the read protocol (`read.rs`, its `READS`).
macro_rules! commands {
    ($then:ident) => {
        $then! {
            app::app_info,
            app::mute_notifications,
            incident::declare_incident,
            incident::declare_from_outage,
            incident::enter_stage,
            incident::add_note,
            incident::assign_role,
            incident::change_severity,
            incident::resolve_incident,
            incident::reopen_incident,
            feed::drill_scenarios,
            feed::start_drill,
            feed::stop_drill,
            feed::record_on,
            sources::sources_config,
            sources::test_source,
            sources::open_in_grafana,
            sources::config_file,
            sources::save_config,
            runbook::attach_runbook,
            runbook::check_step,
            runbook::open_runbook_link,
            review::export_postmortem,
            review::set_action,
            updates::draft_update,
            updates::send_update,
            updates::flush_updates,
        }
    };
}
