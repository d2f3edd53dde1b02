using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>The server-rendered Users page's forms, posted as a browser would (the browser tests cover using it).</summary>
public sealed class UsersPageTests
{
    [Theory]
    [InlineData("3")]
    [InlineData("Admin,Viewer")]
    [InlineData("Owner")]
    public async Task RoleForm_TakesRolesByTheirNamesOnly(string posted)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var refused = await PageForm.PostAsync(hub, cookie, "/users", $"role-{user.Id}", [new("Role", posted)]);
        var roleAfterRefused = (await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{user.Id}", TestJson.Options))!.Role;
        var accepted = await PageForm.PostAsync(hub, cookie, "/users", $"role-{user.Id}", [new("Role", "Editor")]);
        var roleAfterAccepted = (await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{user.Id}", TestJson.Options))!.Role;

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(UserRole.Viewer, roleAfterRefused);
        Assert.True(accepted.IsSuccessStatusCode || accepted.StatusCode == HttpStatusCode.Redirect, accepted.StatusCode.ToString());
        Assert.Equal(UserRole.Editor, roleAfterAccepted);
    }

    [Fact]
    public async Task RoleForm_OnAnInstallationAdmin_BelowAdmin_ShowsWhy_AndKeepsTheRole()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var me = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        await admin.CreateUserAsync(UserRole.Admin);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, "/users", $"role-{me.UserId}", [new("Role", "Viewer")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("An installation admin's role stays Admin", html, StringComparison.Ordinal);
        Assert.Equal(UserRole.Admin, (await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{me.UserId}", TestJson.Options))!.Role);
    }
}
