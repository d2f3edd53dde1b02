using System.Net;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Scenarios;

namespace IntegrationHub.Tests.Hosting;

/// <summary>The detail of the problems the hub answers without one of its own: it says what is wrong and what to do.</summary>
public sealed class ProblemDefaultsTests
{
    // It said "Forbidden." without the role the caller lacked.
    [Fact]
    public async Task Forbidden_NamesTheRoleItTakes()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));

        var create = await viewer.PostAsync("/api/v1/scenarios", Json("""{"name":"x"}"""));
        var users = await viewer.GetAsync("/api/v1/users");
        var workspaces = await viewer.GetAsync("/api/v1/workspaces");

        Assert.Equal("Your role does not allow this; it takes Editor or above.", await DetailAsync(create, HttpStatusCode.Forbidden));
        Assert.Equal("Your role does not allow this; it takes Admin or above.", await DetailAsync(users, HttpStatusCode.Forbidden));
        Assert.Equal("Your role does not allow this; it takes an installation admin.", await DetailAsync(workspaces, HttpStatusCode.Forbidden));
    }

    // Routing's 415 said "Unsupported Media Type." without what to send.
    [Fact]
    public async Task UnsupportedMediaType_OnTheApi_SaysToSendJson()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();

        var response = await admin.PostAsync("/api/v1/scenarios", new StringContent("x", Encoding.UTF8, "text/plain"));

        Assert.Equal("The body must be sent as application/json; the request's Content-Type is 'text/plain; charset=utf-8'.",
            await DetailAsync(response, HttpStatusCode.UnsupportedMediaType));
    }

    // The users and tokens endpoints said "One or more fields are invalid." and named the field only in errors.
    [Fact]
    public async Task InvalidUserOrToken_DetailNamesTheField()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();

        var user = await admin.PostAsync("/api/v1/users", Json("""{"email":"","role":"Viewer"}"""));
        var token = await admin.PostAsync("/api/v1/me/tokens", Json("""{"name":""}"""));

        Assert.StartsWith("email: ", await DetailAsync(user, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.StartsWith("name: ", await DetailAsync(token, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    // A 413 said "Payload Too Large." without the limit.
    [Fact]
    public async Task TooLargeBody_OnTheApi_SaysTheLimit()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        // The client waits for 100-continue before it sends the body, so that the hub's early answer reaches it.
        using var admin = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(5) }) { BaseAddress = hub.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", HubHost.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/scenarios")
        {
            Content = Json("{\"name\":\"" + new string('x', 30_000_000) + "\"}"),
        };
        request.Headers.ExpectContinue = true;

        var response = await admin.SendAsync(request);

        Assert.Contains("30,000,000 bytes", await DetailAsync(response, HttpStatusCode.RequestEntityTooLarge), StringComparison.Ordinal);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task<string?> DetailAsync(HttpResponseMessage response, HttpStatusCode status) =>
        (await IdentityTestClient.ReadProblemAsync(response, status)).GetProperty("detail").GetString();
}
