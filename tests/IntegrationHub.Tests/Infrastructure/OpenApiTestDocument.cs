using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Data;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary><c>/openapi/v1.json</c> as a real hub serves it, and the parts of it a client generator reads.</summary>
internal static class OpenApiTestDocument
{
    // The document does not depend on the database.
    public static async Task<JsonElement> FetchAsync()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        return await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
    }

    public static JsonElement Operation(this JsonElement document, string method, string path) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method);

    public static JsonElement Schema(this JsonElement document, string name) =>
        document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    /// <summary>Every operation of the document, as "METHOD path" and the operation.</summary>
    public static IEnumerable<(string Name, JsonElement Operation)> Operations(this JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(method => method.Name != "parameters")
            .Select(method => ($"{method.Name.ToUpperInvariant()} {path.Name}", method.Value)));

    /// <summary>The header names a response of <paramref name="operation"/> declares.</summary>
    public static IEnumerable<string> Headers(this JsonElement operation, string status) =>
        operation.GetProperty("responses").GetProperty(status).TryGetProperty("headers", out var headers)
            ? headers.EnumerateObject().Select(h => h.Name)
            : [];
}
