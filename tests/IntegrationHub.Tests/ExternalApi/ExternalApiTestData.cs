using System.Text.Json;
using IntegrationHub.ExternalApi;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;

namespace IntegrationHub.Tests.ExternalApi;

/// <summary>What the external API's tests send and read back: raw bodies, the run id an answer names, its stored request.</summary>
internal static class ExternalApiTestData
{
    internal static Guid RunId(HttpResponseMessage response) =>
        Guid.Parse(Assert.Single(response.Headers.GetValues(ExternalApiEndpoints.RunIdHeader)));

    internal static async Task<TriggerRequest> PayloadAsync(HubHost hub, HttpResponseMessage response)
    {
        var run = await ScenarioTestData.GetRunAsync(hub, RunId(response));
        return JsonSerializer.Deserialize<TriggerRequest>(run.Payload!, TriggerRequest.SerializerOptions)!;
    }

    /// <summary>A body of exactly these bytes, with the Content-Type header as given (charset and all).</summary>
    internal static ByteArrayContent RawContent(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }
}
