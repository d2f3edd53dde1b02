using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace IntegrationHub.ExternalApi;

/// <summary>
/// Turns an XML body into the object a Source Script sees as <c>data[0].Body</c>. The rule:
/// <list type="bullet">
/// <item>The root element is kept: <c>&lt;order&gt;…&lt;/order&gt;</c> becomes <c>{ "order": … }</c>.</item>
/// <item>An element with neither attributes nor child elements becomes its text as a string
///   (<c>&lt;id&gt;42&lt;/id&gt;</c> → <c>"42"</c>; values are never guessed into numbers), an empty one becomes <c>null</c>.</item>
/// <item>Any other element becomes an object: attributes as <c>"@name"</c>, child elements as properties named by
///   their local name, repeated child elements as an array in document order, and its own non-blank text as
///   <c>"#text"</c>.</item>
/// <item>Namespaces are dropped (local names only); <c>xmlns</c> declarations, comments and processing instructions are ignored.</item>
/// </list>
/// DTDs are refused outright and no external resource is ever resolved, so entity expansion and XXE are impossible.
/// </summary>
internal static class XmlBody
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = 0,
        Async = false,
    };

    /// <summary>The body as JSON; throws <see cref="XmlException"/> (with line and position) when it is not well-formed.</summary>
    public static JsonElement Parse(byte[] body)
    {
        XDocument document;
        using (var stream = new MemoryStream(body, writable: false))
        using (var reader = XmlReader.Create(stream, Settings))
        {
            document = XDocument.Load(reader, LoadOptions.None);
        }

        var root = document.Root ?? throw new XmlException("The document has no root element.");
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(root.Name.LocalName);
            WriteElement(writer, root);
            writer.WriteEndObject();
        }
        using var json = JsonDocument.Parse(buffer.ToArray());
        return json.RootElement.Clone();
    }

    private static void WriteElement(Utf8JsonWriter writer, XElement element)
    {
        var attributes = element.Attributes().Where(a => !a.IsNamespaceDeclaration).ToList();
        var children = element.Elements().ToList();
        if (attributes.Count == 0 && children.Count == 0)
        {
            if (element.IsEmpty || element.Value.Length == 0)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(element.Value);
            }
            return;
        }

        writer.WriteStartObject();
        foreach (var attribute in attributes)
        {
            writer.WriteString("@" + attribute.Name.LocalName, attribute.Value);
        }
        foreach (var group in children.GroupBy(c => c.Name.LocalName, StringComparer.Ordinal))
        {
            writer.WritePropertyName(group.Key);
            var items = group.ToList();
            if (items.Count == 1)
            {
                WriteElement(writer, items[0]);
                continue;
            }
            writer.WriteStartArray();
            foreach (var item in items)
            {
                WriteElement(writer, item);
            }
            writer.WriteEndArray();
        }
        var text = string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value)).Trim();
        if (text.Length > 0)
        {
            writer.WriteString("#text", text);
        }
        writer.WriteEndObject();
    }
}
