// The page a browser sees when a login link is refused: a Hilo page, not raw JSON, that says what
// happened (a wrong link, a one-time link already used, a link replaced by a newer one, a disabled
// account) and what to do next, naming the admin's command that makes a new link.
import Foundation
import HTTP

enum LoginRefusalPage {
    /// The headline and the advice for a refusal.
    static func words(_ refusal: LoginLinks.Refusal) -> (title: String, text: String) {
        let ask = "Ask an admin for a new login link: on the Admin page, Annotators, “New link”, or on the server `hilo annotators link NAME`."
        switch refusal {
        case .disabled(let name):
            return ("Your account is disabled",
                    "An admin disabled the account “\(name)”, so this link no longer signs you in. Your labels are kept. Ask an admin to enable you again: on the Admin page, Annotators, “Enable”, or on the server `hilo annotators enable \(name)`.")
        case .usedUp:
            return ("This login link was already used", "It was a one-time link and has signed someone in once already. " + ask)
        case .replaced:
            return ("This login link was replaced", "An admin made a newer link for this account, and the old one stopped working. Use the newest link you were given, or ask for one. " + ask)
        case .unknown:
            return ("This login link does not work", "Hilo does not know this link: it may be mistyped or cut short (copy the whole address). " + ask)
        }
    }

    /// The refusal as an HTML page with status 401.
    static func response(_ refusal: LoginLinks.Refusal) -> HTTP.Response {
        let (title, text) = words(refusal)
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Hilo · \(escape(title))</title>
              <link rel="icon" href="/favicon.svg" type="image/svg+xml">
              <link rel="stylesheet" href="/app.css">
            </head>
            <body class="annotate">
              <header class="topbar"><a class="brand" href="/">Hilo</a></header>
              <main>
                <section id="login-refused" class="empty" data-reason="\(reason(refusal))">
                  <h1>\(escape(title))</h1>
                  <p>\(code(escape(text)))</p>
                </section>
              </main>
            </body>
            </html>

            """
        return .text(html, status: .unauthorized, contentType: "text/html; charset=utf-8")
    }

    static func reason(_ refusal: LoginLinks.Refusal) -> String {
        switch refusal {
        case .disabled: "disabled"
        case .usedUp: "used"
        case .replaced: "replaced"
        case .unknown: "unknown"
        }
    }

    /// `command` spans of escaped text as <code> elements.
    static func code(_ s: String) -> String {
        s.replacingOccurrences(of: "`([^`<>]+)`", with: "<code>$1</code>", options: .regularExpression)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
