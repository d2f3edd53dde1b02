using System.Net;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Hosting;

public sealed class RequestErrorTextTests
{
    [Theory]
    [InlineData("POST", "/api/v1/scenarios", """{"name":""", "The body is not valid JSON at line 1, position 9")]
    [InlineData("POST", "/api/v1/scenarios", """{"name":123}""", "$.name (line 1, position 12) must be a string.")]
    [InlineData("POST", "/api/v1/scenarios", "[]", "The body must be a JSON object.")]
    [InlineData("POST", "/api/v1/scenarios", "null", "The body must be a JSON object.")]
    [InlineData("POST", "/api/v1/scenarios", """{"advanced": {"timeoutSeconds": 1.5}}""", "$.advanced.timeoutSeconds (line 1, position 36) must be a whole number.")]
    [InlineData("POST", "/api/v1/scenarios", """{"target": {"keyFields": [1]}}""", "$.target.keyFields[0] (line 1, position 28) must be a string.")]
    [InlineData("PUT", "/api/v1/scenarios/{id}", "\n{\n  \"enabled\": \"yes\"\n}", "$.enabled (line 3, position 19) must be true or false.")]
    [InlineData("POST", "/api/v1/me/tokens", """{"name": ["a"]}""", "$.name (line 1, position 11) must be a string.")]
    [InlineData("POST", "/api/v1/users", """{"email": "a@hub.test", "role": "King"}""", "$.role (line 1, position 39) must be one of Viewer, Operator, Editor, Admin.")]
    [InlineData("POST", "/api/v1/users", """{"email": "a@hub.test", "role": 3}""", "$.role (line 1, position 34) must be one of Viewer, Operator, Editor, Admin.")]
    [InlineData("PUT", "/api/v1/users/{id}/role", """{"role": []}""", "$.role (line 1, position 11) must be one of Viewer, Operator, Editor, Admin.")]
    [InlineData("POST", "/api/v1/workspaces", "{\"name\": \"x\",", "The body is not valid JSON at line 1, position 13")]
    [InlineData("POST", "/account/login", """{"email": 1}""", "$.email (line 1, position 12) must be a string.")]
    public async Task MalformedJsonBody_Returns400SayingWhereAndWhat(string method, string path, string body, string detail)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        var response = await admin.SendAsync(request);

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        var text = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith(detail, text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
    }

    [Theory]
    // A dictionary's key: this said "must be an array" (a dictionary is enumerable), a string's value "must be a string".
    [InlineData("""{"source": {"type": "http", "headers": {"\ud800": "1"}}}""", "$.source.headers", "holds text that is not valid Unicode")]
    [InlineData("""{"name": "Orders \udc00"}""", "$.name", "holds text that is not valid Unicode")]
    [InlineData("""{"name": "Orders", "advanced": {"maxAttempts": 99999999999}}""", "$.advanced.maxAttempts", "is out of range: a whole number from -2,147,483,648 to 2,147,483,647.")]
    [InlineData("""{"name": "Orders", "advanced": {"maxAttempts": -1e12}}""", "$.advanced.maxAttempts", "is out of range")]
    [InlineData("""{"name": "Orders", "advanced": {"maxAttempts": 2.5}}""", "$.advanced.maxAttempts", "must be a whole number.")]
    // A whole number written with a decimal point or exponent was told it "is out of range".
    [InlineData("""{"name": "Orders", "advanced": {"maxAttempts": 1.0}}""", "$.advanced.maxAttempts", "must be a whole number, written without a decimal point or exponent (2, not 2.0).")]
    [InlineData("""{"name": "Orders", "advanced": {"maxAttempts": 2e0}}""", "$.advanced.maxAttempts", "must be a whole number, written without a decimal point or exponent")]
    [InlineData("""{"name": "Orders", "source": {"headers": ["X-A"]}}""", "$.source.headers", "must be an object.")]
    public async Task ValueOfTheRightKindThatCannotBeHeld_Returns400SayingWhy(string body, string path, string why)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();

        var response = await admin.PostAsync("/api/v1/scenarios", new StringContent(body, Encoding.UTF8, "application/json"));

        var detail = (await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
        Assert.StartsWith($"{path} (line 1, position ", detail, StringComparison.Ordinal);
        Assert.Contains(why, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WholeNumberInAString_IsReadAsTheNumber_AsTheWebDefaultsRead()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);

        var scenario = await Scenarios.ScenarioTestData.CreateScenarioAsync(hub, Scenarios.ScenarioTestData.ScenarioJson(change: j => j["advanced"]!["maxAttempts"] = "5"));

        Assert.Equal(5, scenario.Advanced.MaxAttempts);
    }

    [Fact]
    public async Task StringOfBytesThatAreNotUtf8_Returns400SayingItIsNotValidUnicode()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        byte[] body = [.. "{\"name\": \"Orders "u8, 0xFF, 0xFE, .. "\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await admin.PostAsync("/api/v1/scenarios", content);

        var detail = (await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
        Assert.Contains("not valid Unicode", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DescribesWholeNumbersAsIntegers_ThoughAConverterReadsThem()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var document = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/openapi/v1.json");

        var maxAttempts = document.GetProperty("components").GetProperty("schemas").GetProperty("AdvancedDto").GetProperty("properties").GetProperty("maxAttempts");
        Assert.Contains("integer", maxAttempts.GetProperty("type").ToString(), StringComparison.Ordinal);
        Assert.Equal("int32", maxAttempts.GetProperty("format").GetString());
    }

    [Fact]
    public async Task QueryValueOfTheWrongKind_Returns400NamingTheParameter()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();

        var response = await admin.GetAsync("/api/v1/runs?page=abc");

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("'page' cannot be \"abc\".", problem.GetProperty("detail").GetString());
    }
}
