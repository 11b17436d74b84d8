//! English and Korean texts from one catalogue. The language comes from the browser, can be
//! switched, and is remembered in local storage.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

const STORAGE_KEY: &str = "adhoc-portal-lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ko => "ko",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code.get(..2)? {
            "en" => Some(Self::En),
            "ko" => Some(Self::Ko),
            _ => None,
        }
    }

    /// The remembered choice, else the browser's language, else English.
    pub fn initial() -> Self {
        let window = web_sys::window();
        let stored = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|code| Self::from_code(&code));
        let browser = window
            .and_then(|w| w.navigator().language())
            .and_then(|code| Self::from_code(&code));
        stored.or(browser).unwrap_or(Self::En)
    }

    pub fn remember(self) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, self.code());
        }
    }
}

/// The language signal every component reads.
pub fn use_lang() -> RwSignal<Lang> {
    expect_context::<RwSignal<Lang>>()
}

/// `key` in the current language (reactive when called inside a closure).
pub fn t(key: Key) -> &'static str {
    let lang = use_lang().get();
    text(lang, key)
}

/// A text that follows the language, for a view. One closure type for every text: a closure
/// written at each of a hundred places is a hundred types, each with its own rendering code.
pub fn tr(key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || t(key)
}

/// Declares `Key`, one variant per text, and the table of their English and Korean words in the
/// same order: a mistyped key does not compile and a text without both languages cannot ship.
macro_rules! catalogue {
    ($($key:ident => $en:expr, $ko:expr;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Key {
            $($key,)*
        }

        impl Key {
            #[cfg(test)]
            const ALL: &[Key] = &[$(Key::$key,)*];
        }

        /// Indexed by `Key as usize`: a table, not a match, because it is the smaller code.
        const TEXTS: &[(&str, &str)] = &[$(($en, $ko),)*];
    };
}

pub fn text(lang: Lang, key: Key) -> &'static str {
    let (en, ko) = TEXTS[key as usize];
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

catalogue! {
    AppTitle => "Ad-hoc Activation Portal", "애드혹 활성화 포털";
    NavLabel => "Main", "주 메뉴";
    NavActivate => "Activate", "활성화";
    NavHistory => "History", "기록";
    LangLabel => "Language", "언어";
    DemoBanner => "Demo mode: everything runs against the built-in emulator; files are written to the demo's export folder.", "데모 모드: 모든 작업은 내장 에뮬레이터에서 실행되며 파일은 데모 내보내기 폴더에 저장됩니다.";
    SessionViewer => "viewer", "조회자";
    SessionActivator => "activator", "활성화 담당자";
    CommonLoading => "Loading…", "불러오는 중…";
    CommonRetry => "Try again", "다시 시도";
    CommonError => "Something went wrong", "문제가 발생했습니다";
    ActivateTitle => "Activate", "활성화";
    ActivateIntro => "Push audience segments to batch file destinations now, without waiting for the daily schedule.", "일일 일정을 기다리지 않고 지금 바로 세그먼트를 배치 파일 대상으로 내보냅니다.";
    DestinationsTitle => "Destinations", "대상";
    DestinationsEmpty => "No destination dataflow exists in this sandbox.", "이 샌드박스에는 대상 데이터 흐름이 없습니다.";
    DestinationsSegments => "segments", "세그먼트";
    DestinationsEnabled => "enabled", "활성";
    DestinationsDisabled => "disabled", "비활성";
    ExportJobLatest => "Latest profile export job:", "최근 프로필 내보내기 작업:";
    ExportJobUnknownStatus => "a status the portal does not know; it blocks nothing by itself", "포털이 모르는 상태이며, 그 자체로는 아무것도 막지 않습니다";
    DestinationFileExport => "File export", "파일 내보내기";
    DestinationStreaming => "streaming: no ad-hoc activation", "스트리밍: 애드혹 활성화 불가";
    DestinationUnclassified => "Unrecognised destination", "알 수 없는 대상";
    DestinationUnclassifiedWarning => "The portal cannot tell whether this is a batch file destination; the Platform decides when you activate.", "포털이 이 대상이 배치 파일 대상인지 알 수 없습니다. 활성화하면 Platform이 결정합니다.";
    SegmentsTitle => "Segments", "세그먼트";
    SegmentsChooseDestination => "Choose a destination to see its segments.", "세그먼트를 보려면 대상을 선택하세요.";
    SegmentsSearch => "Search segments by name or id", "이름 또는 ID로 세그먼트 검색";
    SegmentsSelectAll => "Select all matching", "검색 결과 모두 선택";
    SegmentsClear => "Clear selection", "선택 해제";
    SegmentsNoneMatch => "No segment matches the search.", "검색과 일치하는 세그먼트가 없습니다.";
    SegmentsProfiles => "profiles", "명";
    SegmentsEvaluated => "evaluated", "평가";
    SegmentsShown => "shown", "표시";
    SegmentsShowMore => "Show more", "더 보기";
    BadgeReady => "Ready", "준비됨";
    BadgeOutOfSchedule => "Out of schedule", "일정 범위 밖";
    BadgeWaiting => "Waiting for first activation until", "첫 활성화 대기 중, 가능 시각";
    BadgeRunning => "Run in progress", "실행 중";
    BadgeExportRunning => "Blocked by a scheduled export", "예약 내보내기로 차단됨";
    BadgeBlocked => "Blocked", "차단됨";
    PlanTitle => "Plan", "계획";
    PlanEmpty => "Nothing chosen yet: pick a destination and its segments.", "아직 선택한 항목이 없습니다. 대상과 세그먼트를 선택하세요.";
    PlanEntries => "entries", "항목";
    PlanRemove => "Remove", "빼기";
    PlanOk => "This plan passes every guardrail.", "이 계획은 모든 가드레일을 통과합니다.";
    PlanViolations => "This plan cannot be activated yet:", "이 계획은 아직 활성화할 수 없습니다:";
    ActivateButton => "Activate", "활성화";
    ActivateViewer => "Your role may look but not activate. Ask an administrator for the activator role.", "조회 권한만 있어 활성화할 수 없습니다. 관리자에게 활성화 권한을 요청하세요.";
    ActivateChecking => "Checking whether these segments are running on another destination…", "이 세그먼트가 다른 대상에서 실행 중인지 확인하는 중…";
    ActivateFixFirst => "Fix the problems listed in the plan first.", "먼저 계획에 표시된 문제를 해결하세요.";
    ActivateNothing => "Choose at least one segment.", "세그먼트를 하나 이상 선택하세요.";
    ConfirmTitle => "Confirm the activation", "활성화 확인";
    ConfirmSummary => "Export now, as full files:", "지금 전체 파일로 내보냅니다:";
    ConfirmYes => "Confirm activation", "활성화 확인";
    ConfirmNo => "Cancel", "취소";
    ConfirmSending => "Sending…", "보내는 중…";
    OrdersTitle => "Runs", "실행";
    OrdersHeading => "Sent to the Platform", "Platform에 보낸 활성화";
    DestinationDetailTitle => "Schedules and latest exports", "일정과 최근 내보내기";
    SchedulesCaption => "Each segment's schedule on this destination", "이 대상의 세그먼트별 일정";
    ScheduleStart => "Start date", "시작일";
    ScheduleEnd => "End date", "종료일";
    ScheduleFrequency => "Frequency", "빈도";
    ScheduleTime => "Time", "시각";
    ScheduleExportMode => "Export mode", "내보내기 방식";
    ScheduleFileName => "File name template", "파일 이름 템플릿";
    RecentRunsCaption => "Latest exports of this destination, scheduled and ad hoc", "이 대상의 최근 내보내기(예약 및 애드혹)";
    RecentRunsNone => "Nothing exported to this destination yet.", "아직 이 대상으로 내보낸 것이 없습니다.";
    RunStarted => "Started", "시작";
    RunReceived => "Profiles received", "받은 프로필";
    RunActivated => "Profiles activated", "활성화된 프로필";
    RunExcluded => "Profiles excluded", "제외된 프로필";
    RunByCode => "Excluded or failed, by code", "코드별 제외·실패";
    OrdersSegment => "Segment", "세그먼트";
    OrdersDestination => "Destination", "대상";
    OrdersStatus => "Status", "상태";
    OrdersRecords => "Records", "레코드";
    OrdersFiles => "Files", "파일";
    OrdersBytes => "Bytes", "바이트";
    OrdersDuration => "Duration", "소요 시간";
    OrdersErrors => "Errors", "오류";
    OrdersBars => "Duration and records", "소요 시간과 레코드";
    OrdersSeeHistory => "See it in the history", "기록에서 보기";
    StatusProcessing => "In progress", "진행 중";
    StatusSuccess => "Succeeded", "성공";
    StatusFailed => "Failed", "실패";
    StatusUnknown => "Unknown", "알 수 없음";
    ErrorRunGoingOn => "This segment already has a run in progress on the Platform. Wait until it has finished, then activate again.", "이 세그먼트는 이미 Platform에서 실행 중입니다. 끝난 뒤 다시 활성화하세요.";
    ErrorNotInDataflow => "The Platform says these segments are not mapped to the destination or are outside their schedule today. Check the mapping and the schedule in Experience Platform:", "Platform에 따르면 다음 세그먼트는 대상에 매핑되어 있지 않거나 오늘 일정 범위를 벗어났습니다. Experience Platform에서 매핑과 일정을 확인하세요:";
    HistoryTitle => "History", "기록";
    HistoryIntro => "Activations made through the portal, newest first.", "포털에서 실행한 활성화 기록 (최신순).";
    HistoryEmpty => "No activation matches.", "일치하는 활성화가 없습니다.";
    HistoryWhen => "When", "시각";
    HistoryWho => "Who", "사용자";
    HistoryDestinations => "Destinations", "대상";
    HistorySegments => "Segments", "세그먼트";
    HistoryOutcome => "Outcome", "결과";
    HistoryDetails => "Details", "상세";
    HistoryMore => "Show older", "이전 기록 더 보기";
    HistoryFilterDestination => "Destination", "대상";
    HistoryFilterSegment => "Segment (name or id)", "세그먼트 (이름 또는 ID)";
    PlanRemoveDestination => "Remove all of this destination", "이 대상 모두 빼기";
    DetailPlan => "What was activated", "활성화한 항목";
    CopyId => "Copy the id", "ID 복사:";
    Copy => "Copy id", "ID 복사";
    Copied => "Copied", "복사됨";
    HistoryDownloadCsv => "Download CSV (these filters)", "CSV 내려받기 (현재 필터)";
    NotificationsTitle => "Notifications", "알림";
    NotificationEvent => "Event", "이벤트";
    NotificationReceiver => "Receiver", "받는 곳";
    NotificationState => "Delivery", "전달";
    NotificationAttempts => "Attempts", "시도";
    NotificationDelivered => "delivered", "전달됨";
    NotificationPending => "being sent", "보내는 중";
    NotificationGivenUp => "given up", "포기함";
    SessionSandbox => "sandbox", "샌드박스";
    ActivateAgain => "Activate again", "다시 활성화";
    ActivateAgainLoaded => "The plan of an earlier activation is loaded: review it and press Activate.", "이전 활성화의 계획을 불러왔습니다. 확인한 뒤 활성화를 누르세요.";
    ChartOutcomes => "Activations per day: accepted, rejected, other", "일별 활성화: 수락, 거부, 기타";
    ChartRecords => "Profiles exported per day", "일별 내보낸 프로필";
    ChartDay => "Day", "날짜";
    ChartOther => "other", "기타";
    ChartProfiles => "Profiles", "프로필";
    HistoryFilterRuns => "Runs", "실행 결과";
    HistoryRuns => "Runs", "실행 결과";
    HistoryAnd => "and", "외";
    HistoryMoreNames => "more", "개";
    RunsRunning => "running", "실행 중";
    RunsFailed => "failed", "실패";
    RunsSucceeded => "succeeded", "성공";
    RunsSomeFailed => "some failed", "일부 실패";
    RunsAllSucceeded => "all succeeded", "모두 성공";
    HistoryFilterUser => "User", "사용자";
    HistoryFilterOutcome => "Outcome", "결과";
    HistoryFilterFrom => "From date", "시작 날짜";
    HistoryFilterUntil => "Until date (included)", "종료 날짜 (포함)";
    HistoryFilterAny => "Any", "전체";
    OutcomePending => "Sending", "보내는 중";
    OutcomeAccepted => "Accepted", "접수됨";
    OutcomeRejected => "Rejected", "거부됨";
    OutcomeFailed => "Failed", "실패";
    OutcomeUnknown => "Being checked", "확인 중";
    OutcomeScheduled => "Scheduled", "예약됨";
    OutcomeAwaitingApproval => "Waiting for approval", "승인 대기";
    OutcomeQueued => "Queued", "대기열";
    OutcomeCancelled => "Cancelled", "취소됨";
    PlanSchedule => "Schedule…", "예약…";
    PlanScheduleAt => "Send at (your time)", "보낼 시각 (현지 시각)";
    PlanScheduleConfirm => "Schedule this plan", "이 계획 예약";
    PlanScheduled => "Scheduled: it will be checked again and sent at its time.", "예약되었습니다. 그 시각에 다시 확인한 뒤 보냅니다.";
    PlanAwaitingApproval => "This plan needs another activator's approval; it is in the list of plans waiting for approval.", "이 계획은 다른 활성화 담당자의 승인이 필요합니다. 승인 대기 목록에 있습니다.";
    PlanSplitButton => "Split into parts and send", "나누어 보내기";
    PlanSplit => "Split into parts: they are sent one after another as their segments free up.", "여러 부분으로 나누었습니다. 세그먼트가 비는 대로 차례로 보냅니다.";
    DetailParts => "Parts", "부분";
    DetailPart => "Part", "부분";
    PlanInUtc => "in UTC:", "UTC:";
    DetailCancel => "Cancel this plan", "이 계획 취소";
    DetailRetry => "Retry the failed orders", "실패한 항목 다시 시도";
    DetailApprove => "Approve", "승인";
    DetailReject => "Reject", "거부";
    DetailRejectReason => "Why it is rejected", "거부 이유";
    DetailRunAt => "Runs at", "실행 시각";
    DetailDecision => "Decision", "결정";
    HistoryWaitingForApproval => "Waiting for approval", "승인 대기";
    DetailTitle => "Activation", "활성화";
    DetailWarnings => "Not checked before sending", "보내기 전에 확인하지 못한 항목";
    DetailBack => "Back to the history", "기록으로 돌아가기";
    NotfoundTitle => "Page not found", "페이지를 찾을 수 없습니다";
    NotfoundText => "There is nothing at this address.", "이 주소에는 아무것도 없습니다.";
    PageUnavailableTitle => "This page could not be loaded", "이 페이지를 불러올 수 없습니다";
    PageUnavailableText => "The connection may have dropped, or the portal was updated since this tab was opened. Reload the page to continue.", "연결이 끊겼거나 이 탭을 연 뒤 포털이 업데이트되었을 수 있습니다. 계속하려면 페이지를 새로 고치세요.";
    PageUnavailableReload => "Reload the page", "페이지 새로 고침";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_written_in_both_languages() {
        for key in Key::ALL {
            let (en, ko) = (text(Lang::En, *key), text(Lang::Ko, *key));
            assert!(!en.is_empty() && !ko.is_empty(), "{key:?}");
            assert_ne!(en, ko, "{key:?} is not translated");
        }
    }

    #[test]
    fn languages_are_read_from_codes() {
        assert_eq!(Lang::from_code("ko-KR"), Some(Lang::Ko));
        assert_eq!(Lang::from_code("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(text(Lang::Ko, Key::NavHistory), "기록");
    }
}
