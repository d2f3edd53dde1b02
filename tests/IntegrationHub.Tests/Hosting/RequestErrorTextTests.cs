using System.Net;
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
