//! The device path's bodies (`shared/device.rs`), on the host.

mod shared;

#[test]
fn one_request_finds_the_limits_before_others_go() {
    shared::device::one_request_finds_the_limits_before_others_go()
}

#[test]
fn a_reading_filled_again_holds_only_the_new_response() {
    shared::device::a_reading_filled_again_holds_only_the_new_response()
}

#[test]
fn a_learned_minute_is_counted_exactly() {
    shared::device::a_learned_minute_is_counted_exactly()
}

#[test]
fn a_short_window_is_counted_exactly_as_it_slides() {
    shared::device::a_short_window_is_counted_exactly_as_it_slides()
}

#[test]
fn each_window_goes_where_its_quota_fits() {
    shared::device::each_window_goes_where_its_quota_fits()
}

#[test]
fn the_servers_budget_holds_until_its_reset() {
    shared::device::the_servers_budget_holds_until_its_reset()
}

#[test]
fn a_429_pauses_for_retry_after_in_seconds_or_as_a_date() {
    shared::device::a_429_pauses_for_retry_after_in_seconds_or_as_a_date()
}

#[test]
fn a_hostile_server_cannot_make_it_sleep_for_hours() {
    shared::device::a_hostile_server_cannot_make_it_sleep_for_hours()
}

#[test]
fn a_cached_response_and_invalid_fields_are_not_read() {
    shared::device::a_cached_response_and_invalid_fields_are_not_read()
}

#[test]
fn a_field_on_several_lines_is_read_all_or_nothing() {
    shared::device::a_field_on_several_lines_is_read_all_or_nothing()
}

#[test]
fn a_singleton_sent_twice_is_ignored() {
    shared::device::a_singleton_sent_twice_is_ignored()
}

#[test]
fn a_silence_past_32_bits_of_milliseconds() {
    shared::device::a_silence_past_32_bits_of_milliseconds()
}

#[test]
fn a_reading_without_a_status_is_a_lost_request() {
    shared::device::a_reading_without_a_status_is_a_lost_request()
}

#[test]
fn retries_follow_the_policy() {
    shared::device::retries_follow_the_policy()
}

#[cfg(feature = "legacy")]
#[test]
fn the_pre_standard_fields_are_one_policy() {
    shared::device::the_pre_standard_fields_are_one_policy()
}

#[cfg(feature = "json")]
#[test]
fn a_429s_body_says_when() {
    shared::device::a_429s_body_says_when()
}

#[test]
fn default_retries_are_the_default_policy() {
    shared::device::default_retries_are_the_default_policy()
}
