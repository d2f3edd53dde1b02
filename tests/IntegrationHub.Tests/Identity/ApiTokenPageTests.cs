using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>The server-rendered API Token page's forms, posted over HTTP.</summary>
public sealed class ApiTokenPageTests
{
    [Fact]
    public async Task CreateNamed_WithExpiryItCannotRead_ShowsFieldError_InsteadOfATokenThatNeverExpires()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, "/account/token", "create-named",
            new Dictionary<string, string> { ["Input.Name"] = "CI", ["Input.ExpiresInDays"] = "abc" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains($"Enter a whole number from 1 to {PersonalAccessTokens.MaximumExpiresInDays}.", html, StringComparison.Ordinal);
    }
}
