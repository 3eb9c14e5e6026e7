import Foundation

/// A SOAP Fault the camera answered with. `subcodes` are qualified names resolved to
/// `{namespace}Local` and also kept as written; ONVIF puts the reason in the first subcode
/// (`ter:NotAuthorized`, `ter:InvalidArgVal`, ...).
public struct SOAPFault: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var subcodes: [String]
    public var reason: String

    public init(code: String, subcodes: [String], reason: String) {
        self.code = code; self.subcodes = subcodes; self.reason = reason
    }

    /// The credentials were refused (ONVIF Core §5.11.2.3 ter:NotAuthorized; some cameras
    /// send wsse:FailedAuthentication or a bare Sender fault with such a reason).
    public var isNotAuthorized: Bool {
        subcodes.contains { $0.hasSuffix("NotAuthorized") || $0.hasSuffix("FailedAuthentication") }
            || code.hasSuffix("FailedAuthentication")
    }

    public var description: String {
        "SOAP fault \(([code] + subcodes).joined(separator: " / "))" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

/// A response that parsed as SOAP but lacks what the operation must return.
public struct OnvifResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var problem: String
    public init(_ operation: String, _ problem: String) { self.operation = operation; self.problem = problem }
    public var description: String { "\(operation) response: \(problem)" }
}

/// A PullPoint subscription as CreatePullPointSubscription returned it.
public struct PullPointSubscription: Sendable, Equatable {
    /// Where PullMessages, Renew and Unsubscribe go.
    public var address: String
    /// wsa:ReferenceParameters children, sent back as headers on every call to `address`.
    public var referenceParameters: [SOAPElement]
    /// The camera's clock (ns since 1970) when it answered, and when it will end the subscription.
    public var currentTime: Int64?
    public var terminationTime: Int64?
}

/// One wsnt:NotificationMessage.
public struct EventNotification: Sendable, Equatable {
    public var topic: EventTopic
    /// tt:Message/@UtcTime: the camera's clock; for the log only, never for ordering.
    public var utcTimeNs: Int64?
    /// Initialized (current state at subscription), Changed, Deleted.
    public var propertyOperation: String?
    public var source: [SimpleItem]
    public var data: [SimpleItem]

    public struct SimpleItem: Sendable, Equatable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public init(topic: EventTopic, utcTimeNs: Int64? = nil, propertyOperation: String? = nil,
                source: [SimpleItem] = [], data: [SimpleItem] = []) {
        self.topic = topic; self.utcTimeNs = utcTimeNs; self.propertyOperation = propertyOperation
        self.source = source; self.data = data
    }
}

public struct PullMessagesResult: Sendable, Equatable {
    public var currentTime: Int64?
    public var terminationTime: Int64?
    public var notifications: [EventNotification]
    /// Notifications that could not be read (no topic, no tt:Message): counted and logged.
    public var unreadable: Int
}

/// Readers of the responses to `OnvifRequest`'s calls. Each throws the camera's `SOAPFault`,
/// a `SOAPParseError` for what is not XML/SOAP, or an `OnvifResponseError` naming what is missing.
/// Element namespaces are checked loosely (by local name) where real cameras are known to
/// differ; the SOAP envelope itself must be right.
public enum OnvifResponse {
    /// The Body's first element, or the Fault it carries thrown.
    public static func payload(_ data: Data, operation: String) throws -> SOAPElement {
        let (_, body) = try SOAPDocument.envelope(data)
        if let fault = body.child(named: "Fault") { throw OnvifResponse.fault(fault) }
        guard let first = body.children.first else { throw OnvifResponseError(operation, "empty SOAP Body") }
        return first
    }

    /// The fault in a response body, if it is one (for HTTP error statuses).
    public static func faultIfAny(_ data: Data) -> SOAPFault? {
        guard let (_, body) = try? SOAPDocument.envelope(data), let fault = body.child(named: "Fault") else { return nil }
        return OnvifResponse.fault(fault)
    }

    static func fault(_ f: SOAPElement) -> SOAPFault {
        // SOAP 1.2: Code/Value, Code/Subcode/Value (nested), Reason/Text. SOAP 1.1: faultcode, faultstring.
        if let code = f.child(named: "Code") {
            var subcodes: [String] = []
            var sub = code.child(named: "Subcode")
            while let s = sub {
                if let value = s.child(named: "Value") { subcodes.append(qualified(value)) }
                sub = s.child(named: "Subcode")
            }
            let reason = f.child(named: "Reason")?.children.first?.trimmedText ?? f.child(named: "Reason")?.trimmedText ?? ""
            return SOAPFault(code: code.child(named: "Value").map(qualified) ?? "?", subcodes: subcodes, reason: reason)
        }
        return SOAPFault(code: f.child(named: "faultcode").map(qualified) ?? "?", subcodes: [],
                         reason: f.child(named: "faultstring")?.trimmedText ?? "")
    }

    /// A QName value resolved to `prefix:Local{namespace}` → written `prefix:Local` plus the
    /// namespace's well-known ending, which is what operators recognise in logs.
    static func qualified(_ element: SOAPElement) -> String {
        let text = element.trimmedText
        guard let colon = text.firstIndex(of: ":") else { return text }
        let prefix = String(text[..<colon])
        let local = String(text[text.index(after: colon)...])
        switch element.namespaces[prefix] {
        case Namespace.error?: return "ter:\(local)"
        case Namespace.soap12?, Namespace.soap11?: return "env:\(local)"
        case Namespace.wsse?: return "wsse:\(local)"
        default: return text
        }
    }

    /// GetSystemDateAndTime → the camera's UTC clock in ns since 1970.
    public static func systemTime(_ data: Data) throws -> Int64 {
        let op = "GetSystemDateAndTime"
        let response = try payload(data, operation: op)
        guard let info = response.child(named: "SystemDateAndTime") else { throw OnvifResponseError(op, "no SystemDateAndTime") }
        // UTCDateTime is optional in the schema; a camera without it has only LocalDateTime,
        // which is the best it offers (its offset then includes its time zone).
        guard let dateTime = info.child(named: "UTCDateTime") ?? info.child(named: "LocalDateTime") else {
            throw OnvifResponseError(op, "neither UTCDateTime nor LocalDateTime")
        }
        func part(_ a: String, _ b: String) -> Int? { dateTime.path(a, b).flatMap { Int($0.trimmedText) } }
        guard let year = part("Date", "Year"), let month = part("Date", "Month"), let day = part("Date", "Day"),
              let hour = part("Time", "Hour"), let minute = part("Time", "Minute"), let second = part("Time", "Second"),
              let instant = XMLDateTime.instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { throw OnvifResponseError(op, "date or time missing or out of range") }
        return instant
    }

    /// GetCapabilities(Events) → the event service's XAddr.
    public static func eventsAddress(capabilities data: Data) throws -> String {
        let op = "GetCapabilities"
        let response = try payload(data, operation: op)
        guard let address = response.path("Capabilities", "Events", "XAddr")?.trimmedText, !address.isEmpty else {
            throw OnvifResponseError(op, "no Capabilities/Events/XAddr (the camera has no event service)")
        }
        return address
    }

    /// GetServices → the XAddr of the service whose Namespace is the event WSDL's.
    public static func eventsAddress(services data: Data) throws -> String {
        let op = "GetServices"
        let response = try payload(data, operation: op)
        for service in response.children where service.name == "Service" {
            if service.child(named: "Namespace")?.trimmedText == Namespace.events,
               let address = service.child(named: "XAddr")?.trimmedText, !address.isEmpty {
                return address
            }
        }
        throw OnvifResponseError(op, "no service with namespace \(Namespace.events)")
    }

    public static func subscription(_ data: Data) throws -> PullPointSubscription {
        let op = "CreatePullPointSubscription"
        let response = try payload(data, operation: op)
        guard let reference = response.child(named: "SubscriptionReference"),
              let address = reference.child(named: "Address")?.trimmedText, !address.isEmpty else {
            throw OnvifResponseError(op, "no SubscriptionReference/Address")
        }
        return PullPointSubscription(address: address,
                                     referenceParameters: reference.child(named: "ReferenceParameters")?.children ?? [],
                                     currentTime: response.child(named: "CurrentTime").flatMap { XMLDateTime.parse($0.text) },
                                     terminationTime: response.child(named: "TerminationTime").flatMap { XMLDateTime.parse($0.text) })
    }

    public static func pullMessages(_ data: Data) throws -> PullMessagesResult {
        let op = "PullMessages"
        let response = try payload(data, operation: op)
        guard response.name == "PullMessagesResponse" else {
            throw OnvifResponseError(op, "answered with \(response.name), not PullMessagesResponse")
        }
        var notifications: [EventNotification] = []
        var unreadable = 0
        for message in response.children where message.name == "NotificationMessage" {
            if let n = notification(message) { notifications.append(n) } else { unreadable += 1 }
        }
        return PullMessagesResult(currentTime: response.child(named: "CurrentTime").flatMap { XMLDateTime.parse($0.text) },
                                  terminationTime: response.child(named: "TerminationTime").flatMap { XMLDateTime.parse($0.text) },
                                  notifications: notifications, unreadable: unreadable)
    }

    /// Renew → (camera's current time, new termination time).
    public static func renew(_ data: Data) throws -> (currentTime: Int64?, terminationTime: Int64?) {
        let op = "Renew"
        let response = try payload(data, operation: op)
        guard response.name == "RenewResponse" else { throw OnvifResponseError(op, "answered with \(response.name)") }
        guard let termination = response.child(named: "TerminationTime").flatMap({ XMLDateTime.parse($0.text) }) else {
            throw OnvifResponseError(op, "no valid TerminationTime")
        }
        return (response.child(named: "CurrentTime").flatMap { XMLDateTime.parse($0.text) }, termination)
    }

    static func notification(_ element: SOAPElement) -> EventNotification? {
        guard let topicElement = element.child(named: "Topic"),
              let topic = EventTopic(qualified: topicElement.trimmedText, namespaces: topicElement.namespaces),
              let message = element.child(named: "Message")?.child(named: "Message") else { return nil }
        func items(_ group: String) -> [EventNotification.SimpleItem] {
            (message.child(named: group)?.children ?? []).filter { $0.name == "SimpleItem" }.compactMap { item in
                guard let name = item.attribute("Name"), let value = item.attribute("Value") else { return nil }
                return EventNotification.SimpleItem(name, value)
            }
        }
        return EventNotification(topic: topic, utcTimeNs: message.attribute("UtcTime").flatMap(XMLDateTime.parse),
                                 propertyOperation: message.attribute("PropertyOperation"),
                                 source: items("Source"), data: items("Data"))
    }
}
