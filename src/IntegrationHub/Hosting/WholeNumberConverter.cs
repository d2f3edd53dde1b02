using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Hosting;

/// <summary>
/// Reads the whole numbers (<see cref="int"/>) of the management API's JSON bodies so that a whole number too large
/// for one is told apart from a value that is not a whole number: <c>"maxAttempts": 99999999999</c> was answered
/// "must be a whole number", which it is.
/// </summary>
internal sealed class WholeNumberConverter : JsonConverter<int>
{
    public static readonly string Refusal = $"is out of range: a whole number from {int.MinValue:N0} to {int.MaxValue:N0}";

    /// <summary>For 2.0 or 2e0: a whole number in range, but not written as one, which was answered "out of range".</summary>
    public const string NotWrittenWhole = "must be a whole number, written without a decimal point or exponent (2, not 2.0)";

    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // The web defaults read "42" as 42; a converter of its own has to do so itself, or it would refuse it.
        if (reader.TokenType == JsonTokenType.String && options.NumberHandling.HasFlag(JsonNumberHandling.AllowReadingFromString)
            && int.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var quoted))
        {
            return quoted;
        }
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt32(out var value))
            {
                return value;
            }
            // 99999999999 and 1e10 are whole numbers; 1.5 is not. A double holds any JSON number's size, if not its digits.
            if (reader.TryGetDouble(out var number) && double.IsFinite(number) && Math.Floor(number) == number)
            {
                throw new JsonException(number is >= int.MinValue and <= int.MaxValue ? NotWrittenWhole : Refusal);
            }
        }
        // Without a message the serializer says what it says for any value of the wrong kind, path included.
        throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
