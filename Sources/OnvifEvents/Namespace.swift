/// The namespaces of ONVIF's SOAP messages (ONVIF Core §5, Event §9; WS-BaseNotification;
/// WS-Addressing; WS-Security UsernameToken Profile 1.0).
public enum Namespace {
    public static let soap12 = "http://www.w3.org/2003/05/soap-envelope"
    public static let soap11 = "http://schemas.xmlsoap.org/soap/envelope/"
    public static let soapEnvelopes: Set<String> = [soap12, soap11]
    public static let wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    public static let wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    public static let passwordDigest = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
    public static let base64Binary = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
    public static let device = "http://www.onvif.org/ver10/device/wsdl"
    public static let schema = "http://www.onvif.org/ver10/schema"
    public static let events = "http://www.onvif.org/ver10/events/wsdl"
    public static let notification = "http://docs.oasis-open.org/wsn/b-2"
    public static let addressing = "http://www.w3.org/2005/08/addressing"
    public static let error = "http://www.onvif.org/ver10/error"
    public static let topics = "http://www.onvif.org/ver10/topics"
    public static let resourceFaults = "http://docs.oasis-open.org/wsrf/r-2"
}
