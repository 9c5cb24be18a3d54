// The one list of the window's commands, as `module::name`. `build.rs` generates a permission
// for each (`allow-<name>`) and the window's capability granting exactly these; `lib.rs`
// registers their handlers. A command not listed here cannot be called.
macro_rules! commands {
    ($then:ident) => {
        $then! {
            app::app_info,
            app::situation,
            app::pull_broadcast,
            app::mute_notifications,
            incident::list_incidents,
            incident::get_incident,
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
            feed::what_if,
            feed::node_charts,
            sources::sources_config,
            sources::test_source,
            sources::open_in_grafana,
            sources::config_file,
            sources::save_config,
            runbook::runbook_suggestions,
            runbook::attach_runbook,
            runbook::incident_runbooks,
            runbook::check_step,
            runbook::open_runbook_link,
            review::review_incident,
            review::review_at,
            review::export_postmortem,
            review::set_action,
            updates::update_panel,
            updates::draft_update,
            updates::send_update,
            updates::flush_updates,
            changes::incident_changes,
        }
    };
}
