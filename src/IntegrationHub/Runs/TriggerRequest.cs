using System.Text.Json;

namespace IntegrationHub.Runs;

/// <summary>
/// A request accepted by <c>POST /ExternalData/Accept</c>, stored with its run (as <see cref="Run.Payload"/>) and given
/// to the Source Script as <c>data[0]</c>. Property names are the ones scripts use: <c>data[0].Body</c> and so on.
/// </summary>
/// <param name="Body">The parsed body: JSON as is, XML and forms turned into objects at accept time.</param>
/// <param name="RawBody">The body as text.</param>
public sealed record TriggerRequest(
    JsonElement Body,
    string RawBody,
    string ContentType,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyDictionary<string, string> Query,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The stored form: PascalCase as scripts see it.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new() { PropertyNamingPolicy = null };
}
