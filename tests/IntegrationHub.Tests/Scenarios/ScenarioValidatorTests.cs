using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scripting;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>What a save refuses, through the API as a client meets it (the web form shares the validator).</summary>
public sealed class ScenarioValidatorTests
{
    // A generated concatenation of 300 terms was a 500 on POST and PUT: the depth error escaped the syntax check.
    [Theory, AllDatabases]
    public async Task Save_WithAScriptNestedTooDeep_Returns400OnSourceScript_OnCreateAndUpdate(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var json = ScenarioTestData.ScenarioJson(change: j => j["sourceScript"] = ScriptSandboxTests.DeepScript("sum"));

        var created = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);
        var updated = await client.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", json, TestJson.Options);

        foreach (var response in new[] { created, updated })
        {
            var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Contains("nests more than 256 levels", problem.GetProperty("errors").GetProperty("sourceScript")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal(1, problem.GetProperty("scriptError").GetProperty("line").GetInt32());
        }
    }

    // Each was saved, and then broke every run: a Content-Length that did not match failed each one after pointless
    // retries, a Host went out in place of the URL's host.
    [Theory]
    [InlineData("target", "Content-Length", "5")]
    [InlineData("target", "host", "evil.example")]
    [InlineData("target", "Transfer-Encoding", "chunked")]
    [InlineData("target", "Expect", "100-continue")]
    [InlineData("target", "Connection", "close")]
    [InlineData("target", "Upgrade", "websocket")]
    [InlineData("source", "Keep-Alive", "timeout=5")]
    [InlineData("source", "TE", "trailers")]
    [InlineData("source", "Trailer", "X-Sum")]
    [InlineData("source", "Proxy-Authorization", "Basic YTpi")]
    public async Task Save_WithAHeaderTheHttpClientSetsItself_Returns400NamingTheHeader(string side, string name, string value)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var json = ScenarioTestData.ScenarioJson(change: j => j[side] = new JsonObject
        {
            ["type"] = "http",
            ["url"] = "http://127.0.0.1:9/x",
            ["headers"] = new JsonObject { [name] = value },
        });

        var problem = await SaveRefusedAsync(hub, json);

        var message = problem.GetProperty("errors").GetProperty($"{side}.headers")[0].GetString();
        Assert.StartsWith($"'{name}' cannot be set", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WithAVendorContentTypeOnTheTarget_IsAccepted()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);

        await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j => j["target"] = new JsonObject
        {
            ["type"] = "http",
            ["url"] = "http://127.0.0.1:9/x",
            ["headers"] = new JsonObject { ["Content-Type"] = "application/vnd.api+json", ["Authorization"] = "Bearer x" },
        }));
    }

    // " id " was saved as typed and failed every run for want of that property; ["a", "a"] was saved too.
    [Theory]
    [InlineData(" id ", "begins or ends with white space")]
    [InlineData("id\t", "begins or ends with white space")]
    [InlineData("id,id", "'id' is given 2 times")]
    public async Task Save_WithStorageKeyFieldsSpacedOrRepeated_Returns400SayingWhich(string keyFields, string expected)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var json = ScenarioTestData.ScenarioJson(change: j => j["target"] = new JsonObject
        {
            ["type"] = "storage",
            ["keyFields"] = new JsonArray([.. keyFields.Split(',').Select(f => (JsonNode)f)]),
        });

        var problem = await SaveRefusedAsync(hub, json);

        Assert.Contains(expected, problem.GetProperty("errors").GetProperty("target.keyFields")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Save_WithADottedKeyField_KeepsItAsOnePropertyName(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);

        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j => j["target"] = new JsonObject
        {
            ["type"] = "storage",
            ["keyFields"] = new JsonArray("order.id", "Order.id"),
        }));

        Assert.Equal(["order.id", "Order.id"], scenario.Target.KeyFields);
    }

    private static async Task<JsonElement> SaveRefusedAsync(HubHost hub, JsonObject json)
    {
        using var client = hub.CreateAdminClient();
        var response = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);
        return await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
