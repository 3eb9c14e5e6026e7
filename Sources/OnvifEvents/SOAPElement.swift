import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One element of a parsed SOAP message: its namespace and local name (prefixes resolved, so
/// `s:Body`, `SOAP-ENV:Body` and `env:Body` are the same element), attributes, children and
/// text. `namespaces` is the prefix → URI map in scope at the element, for values that are
/// themselves qualified names (an event's `tns1:RuleEngine/...` topic).
public struct SOAPElement: Sendable, Equatable {
    public var namespace: String
    public var name: String
    /// Attribute names as written (`Name`, `wsu:Id`); namespace declarations are not attributes.
    public var attributes: [String: String]
    public var children: [SOAPElement]
    /// The element's own character data (CDATA included), surrounding whitespace kept.
    public var text: String
    public var namespaces: [String: String]

    public init(namespace: String, name: String, attributes: [String: String] = [:], children: [SOAPElement] = [],
                text: String = "", namespaces: [String: String] = [:]) {
        self.namespace = namespace; self.name = name; self.attributes = attributes
        self.children = children; self.text = text; self.namespaces = namespaces
    }

    /// The first child with this namespace and local name.
    public func child(_ namespace: String, _ name: String) -> SOAPElement? {
        children.first { $0.namespace == namespace && $0.name == name }
    }

    public func children(_ namespace: String, _ name: String) -> [SOAPElement] {
        children.filter { $0.namespace == namespace && $0.name == name }
    }

    /// The first child with this local name, whatever its namespace: for the elements real
    /// cameras put in the wrong namespace (or none).
    public func child(named name: String) -> SOAPElement? { children.first { $0.name == name } }

    /// Follows local names down the tree, namespaces ignored.
    public func path(_ names: String...) -> SOAPElement? {
        var current: SOAPElement? = self
        for name in names { current = current?.child(named: name) }
        return current
    }

    /// Every descendant (depth first) with this local name.
    public func descendants(named name: String) -> [SOAPElement] {
        var out: [SOAPElement] = []
        for child in children {
            if child.name == name { out.append(child) }
            out += child.descendants(named: name)
        }
        return out
    }

    public var trimmedText: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// An attribute by local name, whatever prefix it was written with.
    public func attribute(_ localName: String) -> String? {
        if let value = attributes[localName] { return value }
        return attributes.first { $0.key.split(separator: ":").last.map(String.init) == localName }?.value
    }

    /// The element written back as XML, each namespace declared where it is used. For echoing
    /// a subscription's ReferenceParameters as headers, as WS-Addressing requires.
    public func xml() -> String {
        var out = "<n:\(name) xmlns:n=\"\(XMLText.escape(namespace))\""
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) where !key.contains(":") {
            out += " \(key)=\"\(XMLText.escape(value))\""
        }
        out += ">" + XMLText.escape(children.isEmpty ? text : "")
        for child in children { out += child.xml() }
        return out + "</n:\(name)>"
    }
}

public enum XMLText {
    /// Escapes the five XML special characters, for text and attribute values alike.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// Why a message could not be read as XML; the text goes into the log line that refuses it.
public enum SOAPParseError: Error, Equatable, CustomStringConvertible {
    case malformed(line: Int, column: Int, reason: String)
    case doctype
    case tooDeep(Int)
    case tooManyElements(Int)
    case empty
    case notSOAP(String)

    public var description: String {
        switch self {
        case let .malformed(line, column, reason): "malformed XML at line \(line), column \(column): \(reason)"
        case .doctype: "XML with a DOCTYPE (SOAP forbids DTDs; refused unread)"
        case let .tooDeep(limit): "XML nested deeper than \(limit) elements"
        case let .tooManyElements(limit): "XML with more than \(limit) elements"
        case .empty: "empty response body"
        case let .notSOAP(what): "not a SOAP envelope: \(what)"
        }
    }
}

public enum SOAPDocument {
    public struct Limits: Sendable {
        public var maxDepth = 64
        public var maxElements = 20_000
        public init() {}
    }

    /// Parses `data` into its root element. Malformed XML, DTDs and documents past `limits`
    /// are errors; nothing here traps on any input.
    public static func parse(_ data: Data, limits: Limits = Limits()) throws -> SOAPElement {
        guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { throw SOAPParseError.empty }
        // A DTD is the door to entity expansion; no SOAP message may carry one (SOAP 1.2 §5).
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil { throw SOAPParseError.doctype }
        let builder = TreeBuilder(limits: limits)
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        if let error = builder.failure { throw error }
        // corelibs' XMLParser can return true and still set parserError (an unclosed element).
        if !ok || parser.parserError != nil {
            let reason = parser.parserError.map { SOAPDocument.explain(($0 as NSError).code) } ?? "parser stopped"
            throw SOAPParseError.malformed(line: parser.lineNumber, column: parser.columnNumber, reason: reason)
        }
        guard let root = builder.root else {
            throw SOAPParseError.malformed(line: parser.lineNumber, column: parser.columnNumber, reason: "no root element")
        }
        return root
    }

    /// XMLParser's error codes (NSXMLParserError) that a broken response produces, in words:
    /// corelibs' own descriptions are a generic "could not be completed".
    static func explain(_ code: Int) -> String {
        let text: String? = switch code {
        case 4: "the document is empty"
        case 5: "the document ended before its elements were closed"
        case 9: "invalid character"
        case 26: "undeclared entity"
        case 38, 39, 40, 41: "malformed attribute"
        case 64, 65, 68: "malformed name or declaration"
        case 73: "a tag is not closed with >"
        case 76: "an end tag does not match its start tag"
        case 85: "elements are not balanced"
        case 111: "content after the root element"
        default: nil
        }
        return (text.map { "\($0); " } ?? "") + "XMLParser error \(code)"
    }

    /// The SOAP 1.2 (or 1.1) envelope's Body and Header.
    public static func envelope(_ data: Data, limits: Limits = Limits()) throws -> (header: SOAPElement?, body: SOAPElement) {
        let root = try parse(data, limits: limits)
        guard root.name == "Envelope", Namespace.soapEnvelopes.contains(root.namespace) else {
            throw SOAPParseError.notSOAP("root element is {\(root.namespace)}\(root.name)")
        }
        guard let body = root.child(root.namespace, "Body") else { throw SOAPParseError.notSOAP("no Body in the Envelope") }
        return (root.child(root.namespace, "Header"), body)
    }
}

/// XMLParser's delegate: builds the tree on a stack. Used by one synchronous parse only.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    let limits: SOAPDocument.Limits
    var stack: [SOAPElement] = []
    var root: SOAPElement?
    var scope: [String: String] = [:]
    var pendingScopes: [[String: String]] = []
    var count = 0
    var failure: SOAPParseError?

    init(limits: SOAPDocument.Limits) { self.limits = limits }

    func parser(_ parser: XMLParser, didStartMappingPrefix prefix: String, toURI namespaceURI: String) {
        pendingScopes.append(scope)
        scope[prefix] = namespaceURI
    }

    func parser(_ parser: XMLParser, didEndMappingPrefix prefix: String) {
        if let previous = pendingScopes.popLast() { scope = previous } else { scope[prefix] = nil }
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        count += 1
        if count > limits.maxElements { return abort(parser, .tooManyElements(limits.maxElements)) }
        if stack.count >= limits.maxDepth { return abort(parser, .tooDeep(limits.maxDepth)) }
        let attributes = attributes.filter { !$0.key.hasPrefix("xmlns") }
        stack.append(SOAPElement(namespace: namespaceURI ?? "", name: elementName, attributes: attributes, namespaces: scope))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard let done = stack.popLast() else { return }
        if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    private func abort(_ parser: XMLParser, _ error: SOAPParseError) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }
}
