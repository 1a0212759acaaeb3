//! Small DOM helpers for the Explore view: CSSOM styles (the CSP forbids inline `style`
//! attributes, but not setting properties through the CSSOM), the URL hash, downloads,
//! time zones.

use wasm_bindgen::{JsCast, JsValue};

/// Sets `el.style[prop] = value` through the CSSOM (allowed by `style-src 'self'`).
pub fn set_style(el: &web_sys::Element, prop: &str, value: &str) {
    if let Ok(style) = js_sys::Reflect::get(el, &JsValue::from_str("style")) {
        let _ = js_sys::Reflect::set(&style, &JsValue::from_str(prop), &JsValue::from_str(value));
    }
}

/// The hash's `key=value` pairs (decoded).
pub fn read_hash() -> Vec<(String, String)> {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    hash.trim_start_matches('#')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| {
            let v = js_sys::decode_uri_component(v).ok()?.as_string()?;
            Some((k.to_string(), v))
        })
        .collect()
}

/// Replaces the hash (no history entry, no reload) when it differs.
pub fn write_hash(parts: &[(String, String)]) {
    let s: Vec<String> = parts
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect();
    let want = if s.is_empty() {
        String::new()
    } else {
        format!("#{}", s.join("&"))
    };
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let cur = loc.hash().unwrap_or_default();
    if cur == want || (want.is_empty() && cur.is_empty()) {
        return;
    }
    let href = loc.href().unwrap_or_default();
    let base = href.split('#').next().unwrap_or("").to_string();
    let url = format!("{base}{want}");
    // history.replaceState: no navigation, no hashchange, focus and scroll stay put
    // (location.replace would be a fragment navigation). Reached through Reflect.
    let Some(w) = web_sys::window() else { return };
    let history = js_sys::Reflect::get(&w, &JsValue::from_str("history")).ok();
    let replace = history
        .as_ref()
        .and_then(|h| js_sys::Reflect::get(h, &JsValue::from_str("replaceState")).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match (history, replace) {
        (Some(h), Some(f)) => {
            let _ = f.call3(
                &h,
                &JsValue::NULL,
                &JsValue::from_str(""),
                &JsValue::from_str(&url),
            );
        }
        _ => {
            let _ = loc.replace(&url);
        }
    }
}

/// Hands `blob` to the browser as a download named `name` (a `blob:` URL and `<a download>`).
pub fn download(blob: &web_sys::Blob, name: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(name);
            if let Some(body) = doc.body() {
                let _ = body.append_child(&a);
                a.click();
                let _ = body.remove_child(&a);
            }
        }
    }
    // Revoke later: the download has started by then.
    let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 60_000);
    }
}

/// Minutes to add to UTC to get local time at `us` (µs since the epoch).
pub fn local_offset_min(us: i64) -> i64 {
    let d = js_sys::Date::new(&JsValue::from_f64((us / 1000) as f64));
    -(d.get_timezone_offset() as i64)
}

/// True when the page is in dark mode.
pub fn dark_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Calls `f` after `ms` milliseconds (a one-shot timer).
pub fn after(ms: i32, f: impl FnOnce() + 'static) -> i32 {
    let cb = wasm_bindgen::closure::Closure::once_into_js(f);
    web_sys::window()
        .and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms)
                .ok()
        })
        .unwrap_or(0)
}

/// Cancels a timer from [`after`].
pub fn cancel(handle: i32) {
    if let Some(w) = web_sys::window() {
        w.clear_timeout_with_handle(handle);
    }
}

/// Writes `text` to the clipboard; failures (permissions) are ignored.
pub fn copy_text(text: String) {
    if let Some(w) = web_sys::window() {
        let p = w.navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        });
    }
}

/// Time for the table/tooltip: "2026-11-02 10:00:06.493" (UTC or local).
pub fn time_ms(us: i64, local: bool) -> String {
    let us = if local {
        us + local_offset_min(us) * 60_000_000
    } else {
        us
    };
    let s = crate::util::format_rfc3339_secs(us);
    let ms = us.rem_euclid(1_000_000) / 1000;
    format!("{}.{ms:03}", s.replace('T', " ").trim_end_matches('Z'))
}

/// The value of `name` in the page URL's query string (`?name=value`), if present.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get(name)
}

/// The `value` of the `<select>` (or input) that fired `e`.
pub fn event_value(e: &web_sys::Event) -> String {
    e.target()
        .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
