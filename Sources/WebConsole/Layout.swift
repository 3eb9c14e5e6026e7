import Foundation
import Hummingbird
import Vocabulary

/// The console's page frame: one inline style sheet, a menu, the logout form. Works on a
/// phone (one column, large targets) and a laptop.
enum Layout {
    static let style = """
        body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#202124;background:#fff}
        header{display:flex;flex-wrap:wrap;gap:.2em 1em;align-items:center;padding:.5em 1em;background:#202124;color:#fff}
        header a{color:#fff;text-decoration:none;padding:.3em .2em}header a.on{border-bottom:2px solid #8ab4f8}
        header form{margin-left:auto}main{padding:1em;max-width:1100px}
        table{border-collapse:collapse;width:100%}td,th{padding:.35em .5em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
        .unlock{color:#1e8e3e;font-weight:600}.deny,.unlock_failed{color:#b3261e;font-weight:600}
        .crop{width:72px;height:72px;border-radius:4px;background:#eee}.err{color:#b3261e}.note{color:#5f6368}
        form.inline{display:inline}input,select,button{font:inherit;padding:.3em .5em;margin:.1em}
        fieldset{border:1px solid #ddd;margin:.5em 0}.cards{display:flex;flex-wrap:wrap;gap:1em}
        .card{border:1px solid #ddd;border-radius:6px;padding:.6em;min-width:200px}
        svg.timeline{max-width:100%;height:auto}
        """

    static let menu: [(path: String, title: String)] = [
        ("/", "Live"), ("/decisions", "Decisions"), ("/unknown", "Unknown faces"), ("/members", "Members"),
    ]

    static func page(_ title: String, active: String, who: ConsoleContext.Principal, _ body: String,
                     status: HTTPResponse.Status = .ok) -> Response {
        let links = menu.map { "<a href=\"\($0.path)\"\($0.path == active ? " class=\"on\"" : "")>\($0.title)</a>" }.joined()
        let csrf = who.session?.csrfToken ?? ""
        let text = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width,initial-scale=1">
            <title>\(html(title)) · facegate</title><style>\(style)</style></head><body>
            <header><strong>facegate</strong>\(links)
            <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(html(csrf))">
            <span>\(html(who.user)) (\(who.role.rawValue))</span> <button id="logout">Log out</button></form></header>
            <main><h1>\(html(title))</h1>
            \(body)
            </main></body></html>
            """
        return htmlResponse(text, status: status)
    }

    static func htmlResponse(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The hidden field every form carries.
    static func csrfField(_ who: ConsoleContext.Principal) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(html(who.session?.csrfToken ?? ""))\">"
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// `2026-12-02T13:05:09.123Z`.
    /// Computed, not formatted by ISO8601DateFormatter: that was two ICU calls per row of a
    /// decisions page, more than the query (facegate-bench web). Milliseconds truncated.
    static func isoTime(_ wallNs: Int64) -> String {
        let ms = wallNs >= 0 ? wallNs / 1_000_000 : (wallNs - 999_999) / 1_000_000
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (year, month, day) = CivilDate.civil(days: days)
        func pad(_ n: Int64, _ width: Int) -> String {
            let text = String(n)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(Int64(month), 2))-\(pad(Int64(day), 2))T\(pad(msOfDay / 3_600_000, 2)):\(pad(msOfDay / 60_000 % 60, 2)):"
            + "\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }
}
