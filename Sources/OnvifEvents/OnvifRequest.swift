/// One ONVIF operation: its SOAP action and the Body content. Built by `OnvifRequest`, sent by
/// the process's HTTP client inside `envelope(...)`.
public struct OnvifCall: Sendable, Equatable {
    public var name: String
    public var action: String
    public var body: String
}

/// The requests facegate-onvif sends, written from the ONVIF Core (device service) and Event
/// (PullPoint) specifications and WS-BaseNotification (Renew, Unsubscribe).
public enum OnvifRequest {
    public static let getSystemDateAndTime = OnvifCall(
        name: "GetSystemDateAndTime", action: "\(Namespace.device)/GetSystemDateAndTime",
        body: "<tds:GetSystemDateAndTime xmlns:tds=\"\(Namespace.device)\"/>")

    public static let getCapabilities = OnvifCall(
        name: "GetCapabilities", action: "\(Namespace.device)/GetCapabilities",
        body: "<tds:GetCapabilities xmlns:tds=\"\(Namespace.device)\"><tds:Category>Events</tds:Category></tds:GetCapabilities>")

    public static let getServices = OnvifCall(
        name: "GetServices", action: "\(Namespace.device)/GetServices",
        body: "<tds:GetServices xmlns:tds=\"\(Namespace.device)\"><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>")

    /// `terminationSeconds`: the subscription's first lifetime, renewed before it ends.
    public static func createPullPointSubscription(terminationSeconds: Int) -> OnvifCall {
        OnvifCall(name: "CreatePullPointSubscription",
                  action: "\(Namespace.events)/EventPortType/CreatePullPointSubscriptionRequest",
                  body: "<tev:CreatePullPointSubscription xmlns:tev=\"\(Namespace.events)\">"
                      + "<tev:InitialTerminationTime>PT\(terminationSeconds)S</tev:InitialTerminationTime>"
                      + "</tev:CreatePullPointSubscription>")
    }

    /// Long poll: the camera answers when it has messages or after `timeoutSeconds`.
    public static func pullMessages(timeoutSeconds: Int, messageLimit: Int) -> OnvifCall {
        OnvifCall(name: "PullMessages", action: "\(Namespace.events)/PullPointSubscription/PullMessagesRequest",
                  body: "<tev:PullMessages xmlns:tev=\"\(Namespace.events)\"><tev:Timeout>PT\(timeoutSeconds)S</tev:Timeout>"
                      + "<tev:MessageLimit>\(messageLimit)</tev:MessageLimit></tev:PullMessages>")
    }

    public static func renew(terminationSeconds: Int) -> OnvifCall {
        OnvifCall(name: "Renew", action: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
                  body: "<wsnt:Renew xmlns:wsnt=\"\(Namespace.notification)\">"
                      + "<wsnt:TerminationTime>PT\(terminationSeconds)S</wsnt:TerminationTime></wsnt:Renew>")
    }

    public static let unsubscribe = OnvifCall(
        name: "Unsubscribe", action: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
        body: "<wsnt:Unsubscribe xmlns:wsnt=\"\(Namespace.notification)\"/>")

    /// The SOAP 1.2 envelope of `call`. `token`: WS-Security header (every call but
    /// GetSystemDateAndTime, which ONVIF requires cameras to answer unauthenticated). `to`:
    /// WS-Addressing To/Action headers plus the subscription's reference parameters, for calls
    /// on a subscription (many cameras route PullMessages by them).
    public static func envelope(_ call: OnvifCall, token: UsernameToken?, to: String? = nil,
                                referenceParameters: [SOAPElement] = []) -> String {
        var header = token?.xml ?? ""
        if let to {
            header += "<wsa:Action xmlns:wsa=\"\(Namespace.addressing)\">\(XMLText.escape(call.action))</wsa:Action>"
            header += "<wsa:To xmlns:wsa=\"\(Namespace.addressing)\">\(XMLText.escape(to))</wsa:To>"
            header += referenceParameters.map { $0.xml() }.joined()
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            + "<s:Envelope xmlns:s=\"\(Namespace.soap12)\">"
            + (header.isEmpty ? "" : "<s:Header>\(header)</s:Header>")
            + "<s:Body>\(call.body)</s:Body></s:Envelope>"
    }
}
