using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.ExternalApi;

/// <summary>What a client generated from <c>/openapi/v1.json</c> learns about <c>/ExternalData/Accept</c>.</summary>
public sealed class AcceptOpenApiTests
{
    // The document does not depend on the database.
    [Fact]
    public async Task AcceptPost_DescribesEveryAcceptedContentType_AsAnOptionalBody()
    {
        var post = (await AcceptPathAsync()).GetProperty("post");

        var body = post.GetProperty("requestBody");
        Assert.False(body.TryGetProperty("required", out var required) && required.GetBoolean());
        Assert.Equal(
            ["application/json", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data", "text/xml"],
            body.GetProperty("content").EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    internal static async Task<JsonElement> AcceptPathAsync()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        return document.GetProperty("paths").GetProperty("/ExternalData/Accept/{scenarioId}").Clone();
    }
}
