using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using IntegrationHub.Hosting;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// Turns an XML body into the object a Source Script sees as <c>data[0].Body</c> (docs/external-api.md). The rule:
/// <list type="bullet">
/// <item>The root element is kept: <c>&lt;order&gt;…&lt;/order&gt;</c> becomes <c>{ "order": … }</c>.</item>
/// <item>An element with neither attributes nor child elements becomes its text as a string
///   (<c>&lt;id&gt;42&lt;/id&gt;</c> → <c>"42"</c>; values are never guessed into numbers), an empty one becomes <c>null</c>.</item>
/// <item>Any other element becomes an object: attributes as <c>"@name"</c>, child elements as properties named by
///   their local name, repeated child elements as an array in document order, and its own non-blank text as
///   <c>"#text"</c>.</item>
/// <item>Namespaces are dropped (local names only), except where that would put two different things under one name:
///   attributes of one element that share a local name are named as written (<c>"@x:id"</c>, <c>"@id"</c>), and so are
///   child elements that share a local name but not a namespace (<c>"x:item"</c>, <c>"item"</c>). <c>xmlns</c>
///   declarations, comments and processing instructions are ignored.</item>
/// </list>
/// DTDs are refused outright and no external resource is ever resolved, so entity expansion and XXE are impossible.
/// Elements nest at most <see cref="MaxDepth"/> levels. Reading, the depth check and the tree are one linear pass over
/// the reader (<c>XDocument.Load</c> took seconds, quadratic in depth, on a 700 KB body of nested elements).
/// </summary>
internal static partial class XmlBody
{
    /// <summary>
    /// How deep elements may nest, the root being level 1. Each level can add an object and an array to the JSON the
    /// script sees, so 100 levels stay within the 256 a JSON body may have (<see cref="JsonBody.MaxDepth"/>).
    /// </summary>
    public const int MaxDepth = 100;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = 0,
        Async = false,
    };

    /// <summary>
    /// The encoding of an XML body, in RFC 7303's order: the charset parameter (<paramref name="charset"/>, null when
    /// there is none), then a byte order mark, then the XML declaration, then UTF-8. Null when the declaration names
    /// an encoding the hub does not support (<paramref name="declared"/> says which).
    /// </summary>
    public static Encoding? EncodingOf(ReadOnlySequence<byte> body, Encoding? charset, out string? declared)
    {
        declared = null;
        if (charset is not null)
        {
            return charset;
        }
        if (BodyText.ByteOrderMark(body).Encoding is { } marked)
        {
            return marked;
        }
        // Without a mark, the declaration is ASCII in every encoding the hub reads, and it is at the very start.
        var prefix = BodyText.Start(body, stackalloc byte[256]);
        if (DeclaredEncoding().Match(Encoding.Latin1.GetString(prefix)) is not { Success: true } match)
        {
            return BodyText.Utf8;
        }
        declared = match.Groups["name"].Value;
        return BodyText.Find(declared);
    }

    /// <summary>Reads the document; throws <see cref="XmlException"/> (with line and position) when it is not well-formed or too deep.</summary>
    public static XmlBodyElement Parse(string text)
    {
        using var reader = XmlReader.Create(new StringReader(text), Settings);
        var lineInfo = (IXmlLineInfo)reader;
        // The elements from the root to the one being read.
        var open = new List<XmlBodyElement>();
        XmlBodyElement? root = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        // Checked as each element starts, so a body nested far too deep is refused after reading only its first levels.
                        if (reader.Depth >= MaxDepth)
                        {
                            throw new XmlException(
                                $"Elements nest deeper than {MaxDepth} levels.", null, lineInfo.LineNumber, lineInfo.LinePosition);
                        }
                        // The reader's names come from its name table: keeping the qualified name and namespace costs no strings.
                        var element = new XmlBodyElement(reader.LocalName, reader.Name, reader.NamespaceURI);
                        var isEmpty = reader.IsEmptyElement;
                        while (reader.MoveToNextAttribute())
                        {
                            if (reader.NamespaceURI != "http://www.w3.org/2000/xmlns/")
                            {
                                (element.Attributes ??= []).Add(new(reader.LocalName, reader.Name, reader.Value));
                            }
                        }
                        if (open.Count == 0)
                        {
                            root = element;
                        }
                        else
                        {
                            (open[^1].Children ??= []).Add(element);
                        }
                        if (!isEmpty)
                        {
                            open.Add(element);
                        }
                        break;
                    case XmlNodeType.EndElement:
                        open.RemoveAt(open.Count - 1);
                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace when open.Count > 0:
                        open[^1].AppendText(reader.Value);
                        break;
                }
            }
        }
        catch (XmlException ex) when (ex.LineNumber == 0 && root is null && DoctypeStart(text) is { } doctype)
        {
            // The reader refuses a DTD without saying where (line 0, position 0). It can only stand in the prolog, before
            // the root element, which is short and simple enough to find it in here.
            throw new XmlException("The document has a DTD (<!DOCTYPE …>), which is not accepted.", ex, doctype.Line, doctype.Position);
        }
        return root ?? throw new XmlException("The document has no root element.");
    }

    /// <summary>
    /// Line and position (from 1) of a <c>&lt;!DOCTYPE</c> that follows the prolog's XML declaration, comments,
    /// processing instructions and white space; null when something else comes first. Only on the error path.
    /// </summary>
    private static (int Line, int Position)? DoctypeStart(string text)
    {
        var i = text.StartsWith('\uFEFF') ? 1 : 0;
        while (i < text.Length)
        {
            var rest = text.AsSpan(i);
            if (rest[0] is ' ' or '\t' or '\r' or '\n')
            {
                i++;
            }
            else if (rest.StartsWith("<?", StringComparison.Ordinal) || rest.StartsWith("<!--", StringComparison.Ordinal))
            {
                var close = rest[1] == '?' ? "?>" : "-->";
                var end = rest.IndexOf(close, StringComparison.Ordinal);
                if (end < 0)
                {
                    return null;
                }
                i += end + close.Length;
            }
            else
            {
                return rest.StartsWith("<!DOCTYPE", StringComparison.Ordinal) ? LinePosition(text, i) : null;
            }
        }
        return null;
    }

    // As XmlReader counts: lines from 1, broken by \n, \r\n or \r; positions from 1 within the line.
    private static (int Line, int Position) LinePosition(string text, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, index - lineStart + 1);
    }

    /// <summary>Writes the document as the object the rule above makes of it.</summary>
    public static void Write(Utf8JsonWriter writer, XmlBodyElement root)
    {
        writer.WriteStartObject();
        writer.WritePropertyName(root.Name);
        WriteElement(writer, root);
        writer.WriteEndObject();
    }

    // Recursive, but never deeper than MaxDepth.
    private static void WriteElement(Utf8JsonWriter writer, XmlBodyElement element)
    {
        if (element.Attributes is null && element.Children is null)
        {
            var value = element.Text;
            if (value.Length == 0)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(value);
            }
            return;
        }

        writer.WriteStartObject();
        if (element.Attributes is { } attributes)
        {
            // By local name, unless another attribute has it too (x:id="1" id="2"): then the name as written, which XML
            // makes unique within an element. Local names alone wrote "@id" twice, and a script saw one of the two.
            // Only a prefixed attribute can share its local name (two unprefixed ones would be the same name, refused).
            var shared = attributes.Count > 1 && attributes.Exists(a => a.QualifiedName.Length != a.LocalName.Length)
                ? SharedNames(attributes.Select(a => a.LocalName))
                : null;
            foreach (var (localName, qualifiedName, value) in attributes)
            {
                writer.WriteString("@" + (shared?.Contains(localName) == true ? qualifiedName : localName), value);
            }
        }
        foreach (var sameName in (element.Children ?? []).GroupBy(c => c.Name, StringComparer.Ordinal))
        {
            // Children of one local name in more than one namespace (<item> and <x:item>) are told apart by the name as
            // written, else they would be one array as if repeated. Grouped by the name written, so no key comes twice
            // (a local name has no colon, a prefixed name has one, and every group is written once).
            var namespaceUri = sameName.First().NamespaceUri;
            if (sameName.All(c => c.NamespaceUri == namespaceUri))
            {
                WriteChildren(writer, sameName.Key, sameName);
                continue;
            }
            foreach (var sameQualifiedName in sameName.GroupBy(c => c.QualifiedName, StringComparer.Ordinal))
            {
                WriteChildren(writer, sameQualifiedName.Key, sameQualifiedName);
            }
        }
        var text = element.Text.Trim();
        if (text.Length > 0)
        {
            writer.WriteString("#text", text);
        }
        writer.WriteEndObject();
    }

    private static void WriteChildren(Utf8JsonWriter writer, string name, IEnumerable<XmlBodyElement> children)
    {
        writer.WritePropertyName(name);
        var items = children.ToList();
        if (items.Count == 1)
        {
            WriteElement(writer, items[0]);
            return;
        }
        writer.WriteStartArray();
        foreach (var item in items)
        {
            WriteElement(writer, item);
        }
        writer.WriteEndArray();
    }

    /// <summary>The names that occur more than once; a set, so an element with thousands of attributes costs linear time.</summary>
    private static HashSet<string>? SharedNames(IEnumerable<string> names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        HashSet<string>? shared = null;
        foreach (var name in names)
        {
            if (!seen.Add(name))
            {
                (shared ??= new(StringComparer.Ordinal)).Add(name);
            }
        }
        return shared;
    }

    [GeneratedRegex("""^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])(?<name>[A-Za-z][A-Za-z0-9._\-]*)\1""", RegexOptions.CultureInvariant)]
    private static partial Regex DeclaredEncoding();
}

/// <summary>An element as <see cref="XmlBody"/> reads it: only what the rule turns into JSON.</summary>
internal sealed class XmlBodyElement(string name, string qualifiedName, string namespaceUri)
{
    // An element's text usually comes in one piece; a builder only for the rest, so many pieces cost linear time.
    private string? _text;
    private StringBuilder? _longerText;

    /// <summary>The local name.</summary>
    public string Name { get; } = name;

    /// <summary>The name as written, with its prefix if it has one.</summary>
    public string QualifiedName { get; } = qualifiedName;

    public string NamespaceUri { get; } = namespaceUri;

    public List<XmlBodyAttribute>? Attributes { get; set; }

    public List<XmlBodyElement>? Children { get; set; }

    /// <summary>All the element's own text (not its children's), in document order.</summary>
    public string Text => _longerText?.ToString() ?? _text ?? "";

    public void AppendText(string text)
    {
        if (_longerText is not null)
        {
            _longerText.Append(text);
        }
        else if (_text is null)
        {
            _text = text;
        }
        else
        {
            _longerText = new StringBuilder(_text).Append(text);
        }
    }
}

/// <summary>An attribute as <see cref="XmlBody"/> reads it: its local name, its name as written, and its value.</summary>
internal readonly record struct XmlBodyAttribute(string LocalName, string QualifiedName, string Value);
