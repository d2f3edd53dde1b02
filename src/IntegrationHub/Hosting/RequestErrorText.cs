using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IntegrationHub.Hosting;

/// <summary>
/// Says what is wrong with a request in words for the person who sent it: where a JSON body breaks and what was
/// expected there, or which parameter could not be read. No .NET type names: "a whole number", not System.Int32.
/// </summary>
internal static partial class RequestErrorText
{
    public const string BodyMustBeObject = "The body must be a JSON object.";

    /// <summary>
    /// A JSON body that does not read as <paramref name="bodyType"/>: the place (path, line, position) and the fault.
    /// What a value must be comes from the property at the path: System.Text.Json's message names the record it was
    /// building, not the property's type.
    /// </summary>
    public static string Describe(JsonException exception, Type? bodyType)
    {
        var where = $"line {(exception.LineNumber ?? 0) + 1}, position {(exception.BytePositionInLine ?? 0) + 1}";
        var path = exception.Path ?? "$";
        var message = WithoutLocation(exception.Message);
        // A string (or an object's property name) that is not Unicode: an escaped unpaired surrogate ("\ud800") or bytes
        // that are not UTF-8. The serializer reports a value it could not convert, which read as "must be a string" for a
        // string and "must be an array" for a header name; the reader's own words are in the inner exception ("Cannot
        // read incomplete UTF-16 JSON text ...", "Cannot transcode invalid UTF-8 JSON text ...").
        if (exception.InnerException is InvalidOperationException { Message: var invalid } && invalid.Contains(" UTF-", StringComparison.Ordinal)
            || exception.InnerException is DecoderFallbackException)
        {
            return $"{path} ({where}) holds text that is not valid Unicode (an unpaired surrogate such as \\ud800, or bytes that are not UTF-8).";
        }
        if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
        {
            var expected = TypeAt(bodyType, path) is { } target ? Expected(target) : null;
            return path == "$" ? BodyMustBeObject
                : expected is null ? $"{path} ({where}) has a value of the wrong kind."
                : $"{path} ({where}) must be {expected}.";
        }
        // AllowDuplicateProperties is off: System.Text.Json names the C# type that held the property, not where it is.
        if (message.StartsWith("Duplicate propert", StringComparison.Ordinal))
        {
            return $"{path} ({where}) is given more than once; give each property once.";
        }
        if (message is StringWithoutNulConverter.Refusal or WholeNumberConverter.NotWrittenWhole || message == WholeNumberConverter.Refusal)
        {
            return $"{path} ({where}) {message}.";
        }
        // A syntax error: the reader's own words name the character and say what it expected.
        return $"The body is not valid JSON at {where} ({path}): {message}";
    }

    /// <summary>
    /// Minimal APIs' own binding failures, without the C# type names they carry: a body that is missing or JSON null,
    /// or a route or query value of the wrong kind. Anything unknown is passed on as it is.
    /// </summary>
    public static string Describe(BadHttpRequestException exception, Type? bodyType)
    {
        if (exception.InnerException is JsonException json)
        {
            return Describe(json, bodyType);
        }
        var message = exception.Message;
        if (message.Contains("from body", StringComparison.Ordinal) || message.Contains("no body was provided", StringComparison.Ordinal))
        {
            return BodyMustBeObject;
        }
        if (FailedToBind().Match(message) is { Success: true } bind)
        {
            return $"'{bind.Groups["name"].Value}' cannot be \"{bind.Groups["value"].Value}\".";
        }
        if (WrongMediaType().Match(message) is { Success: true } wrong)
        {
            var given = wrong.Groups["type"].Value;
            return $"The body must be sent as application/{wrong.Groups["kind"].Value switch { "JSON" => "json", _ => "x-www-form-urlencoded" }}; "
                + (given.Length == 0 ? "the request's Content-Type is empty." : $"the request's Content-Type is '{given}'.");
        }
        if (RequiredParameter().Match(message) is { Success: true } required)
        {
            return $"'{required.Groups["name"].Value}' is required.";
        }
        return message;
    }

    /// <summary>The type of the property <paramref name="path"/> (<c>$.advanced.timeoutSeconds</c>, <c>$.keyFields[0]</c>) leads to.</summary>
    private static Type? TypeAt(Type? type, string path)
    {
        foreach (Match segment in PathSegment().Matches(path))
        {
            if (type is null)
            {
                return null;
            }
            type = Nullable.GetUnderlyingType(type) ?? type;
            type = segment.Groups["index"].Success ? ElementType(type)
                // A dictionary's entries (a connector's headers) are named by their keys.
                : DictionaryValueType(type) is { } value ? value
                : type.GetProperty(segment.Groups["name"].Value, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
        }
        return type;
    }

    private static Type? DictionaryValueType(Type type) =>
        type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
            ?.GetGenericArguments()[1];

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];

    /// <summary>What a JSON value must be to become <paramref name="type"/>, in words.</summary>
    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(Guid) => "a GUID string",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601 string)",
            { IsEnum: true } => $"one of {string.Join(", ", Enum.GetNames(type))}",
            // A dictionary is enumerable too, but it is written as an object.
            _ when DictionaryValueType(type) is not null => "an object",
            _ when ElementType(type) is not null => "an array",
            _ => "an object",
        };
    }

    /// <summary>System.Text.Json appends " Path: $.x | LineNumber: 0 | BytePositionInLine: 3." to its messages; we say it better.</summary>
    private static string WithoutLocation(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\[(?<index>\d+)\]|\['(?<name>[^']*)'\]")]
    private static partial Regex PathSegment();

    [GeneratedRegex("^Failed to bind parameter \"(?:.+ )?(?<name>[^ \"]+)\" from \"(?<value>.*)\"\\.$")]
    private static partial Regex FailedToBind();

    [GeneratedRegex("^Expected a supported (?<kind>JSON|form) media type but got \"(?<type>.*)\"\\.$")]
    private static partial Regex WrongMediaType();

    [GeneratedRegex("^Required parameter \"(?:.+ )?(?<name>[^ \"]+)\" was not provided")]
    private static partial Regex RequiredParameter();
}
