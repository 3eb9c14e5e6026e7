import Foundation
import GalleryStore
import Hummingbird

extension Console {
    func addLoginRoutes(_ router: Router<ConsoleContext>) {
        router.get("/login") { [self] request, _ in
            // The login form's CSRF token lives in its own short cookie (no session yet). A
            // token the browser already holds is kept: a second tab, or the browser's own
            // request for /favicon.ico redirected here, must not invalidate the open form.
            let held = ConsoleAuth.cookie(Console.loginCookie, in: request).flatMap { $0.count == 43 ? $0 : nil }
            let token = held ?? SessionStore.randomToken()
            var response = loginPage(error: nil, token: token)
            response.headers[.setCookie] = cookie(Console.loginCookie, token, maxAge: 600)
            return response
        }
        router.post("/login") { [self] request, context in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let form = FormData(urlEncoded: String(buffer: body))
            let expected = ConsoleAuth.cookie(Console.loginCookie, in: request)
            guard let expected, let sent = form["csrf"], ConsoleAuth.constantTimeEqual(expected, sent) else {
                return ConsoleAuth.problem(.forbidden, "missing or wrong CSRF token: reload the login page and try again")
            }
            let name = form["user"] ?? "", password = form["password"] ?? ""
            switch await checkPassword(user: name, password: password, client: context.clientAddress) {
            case let .ok(user):
                let session = sessions.create(user: user.name, role: user.role)
                var response = Layout.redirect("/")
                response.headers[values: .setCookie] = [cookie(Console.sessionCookie, session.token, maxAge: nil),
                                                        cookie(Console.loginCookie, "", maxAge: 0)]
                return response
            case .wrong:
                var response = loginPage(error: "Wrong user name or password.", token: expected, status: .unauthorized)
                response.headers[.setCookie] = cookie(Console.loginCookie, expected, maxAge: 600)
                return response
            case let .limited(wait):
                var response = loginPage(error: "Too many failed logins: try again in \(Int(wait.rounded(.up))) seconds.",
                                         token: expected, status: .tooManyRequests)
                response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
                return response
            }
        }
        router.post("/logout") { [self] request, _ in
            if let token = ConsoleAuth.cookie(Console.sessionCookie, in: request) { sessions.end(token: token) }
            var response = Layout.redirect("/login")
            response.headers[.setCookie] = cookie(Console.sessionCookie, "", maxAge: 0)
            return response
        }
    }

    /// `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's request carries it),
    /// `Secure` unless the configuration turns it off.
    func cookie(_ name: String, _ value: String, maxAge: Int?) -> String {
        var parts = ["\(name)=\(value)", "Path=/", "HttpOnly", "SameSite=Strict"]
        if setup.web.secureCookies { parts.append("Secure") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        return parts.joined(separator: "; ")
    }

    func loginPage(error: String?, token: String, status: HTTPResponse.Status = .ok) -> Response {
        Layout.htmlResponse("""
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width,initial-scale=1">
            <title>Log in · facegate</title><style>\(Layout.style) form.login{max-width:320px;margin:3em auto}
            form.login input{display:block;width:100%;box-sizing:border-box;margin:.3em 0 1em}</style></head><body>
            <form class="login" method="post" action="/login"><h1>facegate</h1>
            \(error.map { "<p class=\"err\" id=\"login-error\">\(html($0))</p>" } ?? "")
            <input type="hidden" name="csrf" value="\(html(token))">
            <label>User <input name="user" id="user" autocomplete="username" required></label>
            <label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
            <button id="login">Log in</button></form></body></html>
            """, status: status)
    }
}
