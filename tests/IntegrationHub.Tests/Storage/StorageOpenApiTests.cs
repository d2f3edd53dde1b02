using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Storage;

/// <summary>What a client generated from <c>/openapi/v1.json</c> learns about reading a scenario's storage.</summary>
public sealed class StorageOpenApiTests
{
    [Fact]
    public async Task GetStorage_200_IsThePageOrTheStoredValue()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        var ok = document.Operation("get", "/api/v1/scenarios/{id}/storage").GetProperty("responses").GetProperty("200");

        // With keyJson the answer is the stored value itself ({"total":10}), not a page.
        Assert.Contains("keyJson", ok.GetProperty("description").GetString(), StringComparison.Ordinal);
        var shapes = ok.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("anyOf").EnumerateArray().ToList();
        Assert.Equal(2, shapes.Count);
        Assert.Equal("#/components/schemas/StorageListPage", shapes[0].GetProperty("$ref").GetString());
        Assert.False(shapes[1].TryGetProperty("type", out _));
        Assert.False(shapes[1].TryGetProperty("$ref", out _));
    }
}
