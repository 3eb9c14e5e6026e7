import Foundation
import OnvifEvents
import XCTest

/// Responses written from the ONVIF Core and Event specifications' examples, in the prefix
/// variations real cameras send (SOAP-ENV/env/s, tt/onvif, tns1 declared in different places).
final class ResponseTests: XCTestCase {
    private func data(_ s: String) -> Data { Data(s.utf8) }

    static let systemTime = """
    <?xml version="1.0" encoding="UTF-8"?>
    <SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">
    <SOAP-ENV:Body><tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>
      <tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>
      <tt:TimeZone><tt:TZ>CET-1CEST,M3.5.0,M10.5.0/3</tt:TZ></tt:TimeZone>
      <tt:UTCDateTime><tt:Time><tt:Hour>17</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>5</tt:Second></tt:Time>
        <tt:Date><tt:Year>2024</tt:Year><tt:Month>3</tt:Month><tt:Day>1</tt:Day></tt:Date></tt:UTCDateTime>
      <tt:LocalDateTime><tt:Time><tt:Hour>18</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>5</tt:Second></tt:Time>
        <tt:Date><tt:Year>2024</tt:Year><tt:Month>3</tt:Month><tt:Day>1</tt:Day></tt:Date></tt:LocalDateTime>
    </tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>
    """

    func testSystemDateAndTimeReadsUTC() throws {
        XCTAssertEqual(try OnvifResponse.systemTime(data(Self.systemTime)), 1_709_312_405 * 1_000_000_000)
    }

    func testCapabilitiesAndServicesGiveTheEventAddress() throws {
        let capabilities = """
        <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>
        <tds:GetCapabilitiesResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Capabilities>
        <Events xmlns="http://www.onvif.org/ver10/schema"><XAddr>http://127.0.0.1:8080/onvif/event_service</XAddr>
        <WSSubscriptionPolicySupport>true</WSSubscriptionPolicySupport><WSPullPointSupport>true</WSPullPointSupport>
        </Events></tds:Capabilities></tds:GetCapabilitiesResponse></env:Body></env:Envelope>
        """
        XCTAssertEqual(try OnvifResponse.eventsAddress(capabilities: data(capabilities)), "http://127.0.0.1:8080/onvif/event_service")
        let services = """
        <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>
        <tds:GetServicesResponse>
        <tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>http://c/onvif/device_service</tds:XAddr>
        <tds:Version><tt:Major xmlns:tt="http://www.onvif.org/ver10/schema">2</tt:Major></tds:Version></tds:Service>
        <tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace><tds:XAddr>http://c/onvif/Events</tds:XAddr></tds:Service>
        </tds:GetServicesResponse></s:Body></s:Envelope>
        """
        XCTAssertEqual(try OnvifResponse.eventsAddress(services: data(services)), "http://c/onvif/Events")
        let none = services.replacingOccurrences(of: "ver10/events/wsdl", with: "ver20/imaging/wsdl")
        XCTAssertThrowsError(try OnvifResponse.eventsAddress(services: data(none))) { error in
            XCTAssertTrue("\(error)".contains("no service with namespace"), "\(error)")
        }
    }

    func testSubscriptionKeepsItsAddressTimesAndReferenceParameters() throws {
        let response = """
        <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://www.w3.org/2005/08/addressing"
          xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tev="http://www.onvif.org/ver10/events/wsdl"><env:Body>
        <tev:CreatePullPointSubscriptionResponse>
          <tev:SubscriptionReference><wsa5:Address>http://127.0.0.1:8080/onvif/Subscription?Idx=7</wsa5:Address>
            <wsa5:ReferenceParameters><dom0:SubscriptionId xmlns:dom0="http://www.axis.com/2009/event">42</dom0:SubscriptionId></wsa5:ReferenceParameters>
          </tev:SubscriptionReference>
          <wsnt:CurrentTime>2024-03-01T17:00:05Z</wsnt:CurrentTime><wsnt:TerminationTime>2024-03-01T17:01:05Z</wsnt:TerminationTime>
        </tev:CreatePullPointSubscriptionResponse></env:Body></env:Envelope>
        """
        let s = try OnvifResponse.subscription(data(response))
        XCTAssertEqual(s.address, "http://127.0.0.1:8080/onvif/Subscription?Idx=7")
        XCTAssertEqual(s.terminationTime! - s.currentTime!, 60_000_000_000)
        XCTAssertEqual(s.referenceParameters.map(\.name), ["SubscriptionId"])
        // Echoed as a header: same element, namespace declared on it.
        let envelope = OnvifRequest.envelope(OnvifRequest.pullMessages(timeoutSeconds: 5, messageLimit: 32), token: nil,
                                             to: s.address, referenceParameters: s.referenceParameters)
        let (header, _) = try SOAPDocument.envelope(data(envelope))
        XCTAssertEqual(header?.child("http://www.axis.com/2009/event", "SubscriptionId")?.text, "42")
        XCTAssertEqual(header?.child(Namespace.addressing, "To")?.text, s.address)
        XCTAssertEqual(header?.child(Namespace.addressing, "Action")?.text,
                       "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest")
    }

    /// ONVIF Event §9.1.2's example shape: two notifications, cell motion and motion alarm,
    /// tns1 declared on the Envelope for one and on the Topic for the other, tt written as "onvif".
    static let pull = """
    <SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
      xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:onvif="http://www.onvif.org/ver10/schema">
    <SOAP-ENV:Body><tev:PullMessagesResponse>
      <tev:CurrentTime>2024-03-01T17:00:10Z</tev:CurrentTime><tev:TerminationTime>2024-03-01T17:01:10Z</tev:TerminationTime>
      <wsnt:NotificationMessage>
        <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic>
        <wsnt:Message><onvif:Message UtcTime="2024-03-01T17:00:09Z" PropertyOperation="Changed">
          <onvif:Source><onvif:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/>
            <onvif:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="VideoAnalyticsToken"/>
            <onvif:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/></onvif:Source>
          <onvif:Data><onvif:SimpleItem Name="IsMotion" Value="true"/></onvif:Data>
        </onvif:Message></wsnt:Message>
      </wsnt:NotificationMessage>
      <wsnt:NotificationMessage>
        <wsnt:Topic xmlns:ns2="http://www.onvif.org/ver10/topics" Dialect="http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete">ns2:VideoSource/MotionAlarm</wsnt:Topic>
        <wsnt:Message><tt:Message xmlns:tt="http://www.onvif.org/ver10/schema" UtcTime="2024-03-01T17:00:09.500Z" PropertyOperation="Initialized">
          <tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source>
          <tt:Data><tt:SimpleItem Name="State" Value="false"/></tt:Data>
        </tt:Message></wsnt:Message>
      </wsnt:NotificationMessage>
      <wsnt:NotificationMessage><wsnt:Topic>tns1:Device/Trigger/DigitalInput</wsnt:Topic>
        <wsnt:Message><tt:Message xmlns:tt="http://www.onvif.org/ver10/schema" UtcTime="2024-03-01T17:00:09Z">
        <tt:Data><tt:SimpleItem Name="LogicalState" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>
      <wsnt:NotificationMessage><wsnt:Message/></wsnt:NotificationMessage>
    </tev:PullMessagesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>
    """

    func testPullMessagesReadsEveryNotification() throws {
        let result = try OnvifResponse.pullMessages(data(Self.pull))
        XCTAssertEqual(result.notifications.count, 3)
        XCTAssertEqual(result.unreadable, 1, "a NotificationMessage without a Topic")
        XCTAssertEqual(result.terminationTime! - result.currentTime!, 60_000_000_000)
        let cell = result.notifications[0]
        XCTAssertEqual(cell.topic, EventTopic(namespace: Namespace.topics, path: ["RuleEngine", "CellMotionDetector", "Motion"]))
        XCTAssertEqual(cell.topic.description, "tns1:RuleEngine/CellMotionDetector/Motion")
        XCTAssertEqual(cell.propertyOperation, "Changed")
        XCTAssertEqual(cell.utcTimeNs, XMLDateTime.parse("2024-03-01T17:00:09Z"))
        XCTAssertEqual(cell.data, [.init("IsMotion", "true")])
        XCTAssertEqual(cell.source.count, 3)
        let alarm = result.notifications[1]
        XCTAssertEqual(alarm.topic.description, "tns1:VideoSource/MotionAlarm", "ns2 resolves to the ONVIF topic namespace")
        XCTAssertEqual(alarm.propertyOperation, "Initialized")
    }

    func testMotionFromBothStandardTopicsAcrossSources() throws {
        var motion = MotionAggregator(rules: MotionRule.standard)
        let result = try OnvifResponse.pullMessages(data(Self.pull))
        XCTAssertEqual(motion.apply(result.notifications[0])?.state, true)
        XCTAssertEqual(motion.apply(result.notifications[1])?.state, false)
        XCTAssertNil(motion.apply(result.notifications[2]), "a digital input is not motion")
        XCTAssertTrue(motion.isMotion, "the cell detector is still on")
        // Off from the cell detector: no source is on any more.
        var off = result.notifications[0]
        off.data = [.init("IsMotion", "False")]
        XCTAssertEqual(motion.apply(off)?.state, false)
        XCTAssertFalse(motion.isMotion)
        // Two video sources: on while either is.
        var a = result.notifications[1], b = result.notifications[1]
        a.data = [.init("State", "true")]; b.data = [.init("State", "1")]; b.source = [.init("Source", "VideoSource_2")]
        _ = motion.apply(a); _ = motion.apply(b)
        a.data = [.init("State", "false")]
        _ = motion.apply(a)
        XCTAssertTrue(motion.isMotion)
        b.propertyOperation = "Deleted"
        XCTAssertNil(motion.apply(b)?.state)
        XCTAssertFalse(motion.isMotion, "a deleted source no longer counts")
        var garbled = result.notifications[0]
        garbled.data = [.init("IsMotion", "maybe")]
        XCTAssertNil(motion.apply(garbled))
        XCTAssertEqual(motion.problem(garbled), "tns1:RuleEngine/CellMotionDetector/Motion IsMotion=\"maybe\" is not a boolean")
        motion.reset()
        XCTAssertFalse(motion.isMotion)
    }

    func testConfiguredTopicsAndPrefixVariations() throws {
        let rule = MotionRule(topic: try XCTUnwrap(EventTopic(configured: "tns1:RuleEngine/FieldDetector/ObjectsInside")), item: "IsInside")
        var motion = MotionAggregator(rules: [rule])
        let axis = EventTopic(qualified: "tns1:RuleEngine/tnsaxis:FieldDetector/ObjectsInside", namespaces: [:])!
        XCTAssertTrue(rule.topic.matches(axis), "later prefixes compare by local name; an undeclared tns1 is ONVIF's")
        XCTAssertEqual(motion.apply(EventNotification(topic: axis, data: [.init("IsInside", "true")]))?.state, true)
        XCTAssertTrue(motion.isMotion)
        let other = EventTopic(qualified: "x:RuleEngine/FieldDetector/ObjectsInside", namespaces: ["x": "urn:vendor"])!
        XCTAssertFalse(rule.topic.matches(other), "another vendor's namespace")
        XCTAssertNil(EventTopic(configured: "acme:Motion"), "only tns1: is known in the configuration")
        XCTAssertNil(EventTopic(qualified: "tns1:RuleEngine//Motion", namespaces: [:]))
        XCTAssertNil(EventTopic(qualified: "", namespaces: [:]))
    }

    func testFaultsAreThrownWithTheirSubcode() throws {
        let soap12 = """
        <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error"><env:Body>
        <env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>
        <env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>
        """
        XCTAssertThrowsError(try OnvifResponse.pullMessages(data(soap12))) { error in
            let fault = error as? SOAPFault
            XCTAssertEqual(fault?.subcodes, ["ter:NotAuthorized"])
            XCTAssertEqual(fault?.isNotAuthorized, true)
            XCTAssertEqual(fault?.description, "SOAP fault env:Sender / ter:NotAuthorized: Sender not Authorized")
        }
        // The same subcode under another prefix.
        let renamed = soap12.replacingOccurrences(of: "ter:", with: "e:").replacingOccurrences(of: "xmlns:ter", with: "xmlns:e")
        XCTAssertEqual(OnvifResponse.faultIfAny(data(renamed))?.isNotAuthorized, true)
        let soap11 = """
        <SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>
        <faultcode>SOAP-ENV:Client</faultcode><faultstring>Renew not supported</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>
        """
        XCTAssertEqual(OnvifResponse.faultIfAny(data(soap11)), SOAPFault(code: "env:Client", subcodes: [], reason: "Renew not supported"))
        XCTAssertEqual(OnvifResponse.faultIfAny(data(soap11))?.isNotAuthorized, false)
    }

    func testMalformedAndHostileXMLIsRefusedWithAReason() {
        func reason(_ text: String) -> String {
            do { _ = try OnvifResponse.pullMessages(data(text)); return "accepted" } catch { return "\(error)" }
        }
        let mismatched = reason("<s:Envelope xmlns:s=\"\(Namespace.soap12)\"><s:Body><a></s:Body>")
        XCTAssertTrue(mismatched.hasPrefix("malformed XML at line 1, column "), mismatched)
        XCTAssertTrue(mismatched.contains("; XMLParser error "), mismatched)
        let cut = reason("<s:Envelope xmlns:s=\"\(Namespace.soap12)\"><s:Body>")
        XCTAssertTrue(cut.hasSuffix("the document ended before its elements were closed; XMLParser error 5"), cut)
        XCTAssertEqual(reason(""), "empty response body")
        XCTAssertEqual(reason("<!DOCTYPE a [<!ENTITY x \"xx\">]><a>&x;</a>"), "XML with a DOCTYPE (SOAP forbids DTDs; refused unread)")
        XCTAssertEqual(reason("<html><body>Not Found</body></html>"), "not a SOAP envelope: root element is {}html")
        XCTAssertEqual(reason(String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)), "XML nested deeper than 64 elements")
        XCTAssertEqual(reason("<s:Envelope xmlns:s=\"\(Namespace.soap12)\"><s:Body><x:RenewResponse xmlns:x=\"urn:x\"/></s:Body></s:Envelope>"),
                       "PullMessages response: answered with RenewResponse, not PullMessagesResponse")
        XCTAssertEqual(reason("<s:Envelope xmlns:s=\"\(Namespace.soap12)\"><s:Header/></s:Envelope>"), "not a SOAP envelope: no Body in the Envelope")
    }

    func testRenewNeedsATerminationTime() throws {
        let ok = """
        <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"><s:Body>
        <wsnt:RenewResponse><wsnt:TerminationTime>2024-03-01T17:02:00Z</wsnt:TerminationTime><wsnt:CurrentTime>2024-03-01T17:01:00Z</wsnt:CurrentTime>
        </wsnt:RenewResponse></s:Body></s:Envelope>
        """
        let renewed = try OnvifResponse.renew(data(ok))
        XCTAssertEqual(renewed.terminationTime! - renewed.currentTime!, 60_000_000_000)
        XCTAssertThrowsError(try OnvifResponse.renew(data(ok.replacingOccurrences(of: "2024-03-01T17:02:00Z", with: "soon"))))
    }

    func testRequestsAreWellFormedSOAP12() throws {
        let token = UsernameToken(username: "a<b", password: "p", nonce: [1], created: "2024-03-01T12:00:05.000Z")
        for call in [OnvifRequest.getSystemDateAndTime, OnvifRequest.getCapabilities, OnvifRequest.getServices,
                     OnvifRequest.createPullPointSubscription(terminationSeconds: 60),
                     OnvifRequest.pullMessages(timeoutSeconds: 5, messageLimit: 32), OnvifRequest.renew(terminationSeconds: 60),
                     OnvifRequest.unsubscribe] {
            let (header, body) = try SOAPDocument.envelope(Data(OnvifRequest.envelope(call, token: token, to: "http://c/s?a=1&b=2").utf8))
            XCTAssertEqual(body.children.first?.name, call.name, call.name)
            XCTAssertEqual(UsernameToken.received(in: header)?.username, "a<b")
            XCTAssertEqual(header?.child(Namespace.addressing, "To")?.text, "http://c/s?a=1&b=2")
        }
        XCTAssertEqual(try SOAPDocument.envelope(Data(OnvifRequest.envelope(OnvifRequest.unsubscribe, token: nil).utf8)).header, nil)
    }
}
