//! The event table's optional columns and the picker that turns them on: source IP, user
//! agent, auditID, response message and the refusal reason. The choice is remembered in
//! local storage. The picker is a disclosure button with a list of checkboxes: Tab
//! reaches it, Enter/Space opens it, Tab and Space toggle, Escape closes it.

use yew::prelude::*;

/// An optional column of the event table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Reason,
    SourceIp,
    UserAgent,
    AuditId,
    Message,
}

impl Col {
    pub const ALL: [Col; 5] = [
        Col::Reason,
        Col::SourceIp,
        Col::UserAgent,
        Col::AuditId,
        Col::Message,
    ];
    /// The key in local storage and in `data-col`.
    pub fn key(self) -> &'static str {
        match self {
            Col::Reason => "reason",
            Col::SourceIp => "source-ip",
            Col::UserAgent => "user-agent",
            Col::AuditId => "audit-id",
            Col::Message => "message",
        }
    }
    /// The header.
    pub fn title(self) -> &'static str {
        match self {
            Col::Reason => "reason",
            Col::SourceIp => "source IP",
            Col::UserAgent => "user agent",
            Col::AuditId => "auditID",
            Col::Message => "message",
        }
    }
    /// What the header's tooltip says.
    pub fn help(self) -> &'static str {
        match self {
            Col::Reason => "Why the request was refused: the RBAC reason of a forbid, else the response's message (admission says why there) or its reason",
            Col::SourceIp => "The first source IP (the client)",
            Col::UserAgent => "The client's user agent",
            Col::AuditId => "The request's audit ID (its stages share it)",
            Col::Message => "responseStatus.message",
        }
    }
    /// Its CSS grid track.
    pub fn track(self) -> &'static str {
        match self {
            Col::Reason => "minmax(80px, 1.1fr)",
            Col::SourceIp => "110px",
            Col::UserAgent => "minmax(80px, 1fr)",
            Col::AuditId => "250px",
            Col::Message => "minmax(100px, 1.6fr)",
        }
    }
}

const KEY: &str = "audit-lens.columns";

/// The columns chosen last time (the reason column by default).
pub fn load() -> Vec<Col> {
    let saved = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(KEY).ok().flatten());
    match saved {
        Some(v) => Col::ALL
            .into_iter()
            .filter(|c| v.split(',').any(|k| k == c.key()))
            .collect(),
        None => vec![Col::Reason],
    }
}

fn save(cols: &[Col]) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let v: Vec<&str> = cols.iter().map(|c| c.key()).collect();
        let _ = s.set_item(KEY, &v.join(","));
    }
}

#[derive(Properties, PartialEq)]
pub struct ColumnPickerProps {
    pub cols: Vec<Col>,
    pub on_change: Callback<Vec<Col>>,
}

#[function_component]
pub fn ColumnPicker(props: &ColumnPickerProps) -> Html {
    let open = use_state(|| false);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let onkeydown = {
        let open = open.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && *open {
                e.stop_propagation();
                open.set(false);
            }
        })
    };
    let items = Col::ALL.into_iter().map(|c| {
        let on = props.cols.contains(&c);
        let (cols, cb) = (props.cols.clone(), props.on_change.clone());
        let onchange = Callback::from(move |_: Event| {
            let next: Vec<Col> = Col::ALL
                .into_iter()
                .filter(|x| if *x == c { !on } else { cols.contains(x) })
                .collect();
            save(&next);
            cb.emit(next);
        });
        html! {
            <li><label title={c.help()}><input type="checkbox" checked={on} {onchange} data-testid={format!("col-{}", c.key())} />{" "}{ c.title() }</label></li>
        }
    });
    html! {
        <div class="col-picker" {onkeydown}>
            <button class="button small ghost" onclick={toggle} aria-expanded={open.to_string()} aria-controls="col-picker-list" data-testid="column-picker" title="Choose the table's columns">{"Columns ▾"}</button>
            if *open {
                <ul class="col-picker-list" id="col-picker-list" aria-label="Optional columns">{ for items }</ul>
            }
        </div>
    }
}
