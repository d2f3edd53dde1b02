using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>The server-rendered Users page's forms, posted as a browser would (the browser tests cover using it).</summary>
public sealed class UsersPageTests
{
    // On PostgreSQL the page answered 500: it rendered once while the users loaded (PostgreSQL's reads yield), and that
    // render read the form before it was made. A hub in its own process, as users run it: in the test host the reads
    // happened to complete at once.
    [Theory, AllDatabases]
    public async Task ThePage_ListsTheWorkspacesUsers_ToItsAdmin(DatabaseProvider provider)
    {
        await using var hub = await HubProcess.StartAsync(await TestDatabase.CreateAsync(provider),
            new Dictionary<string, string> { ["Bootstrap__AdminPassword"] = HubHost.AdminPassword });
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = hub.BaseAddress };
        var signIn = await client.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, HubHost.AdminPassword, null), TestJson.Options);
        client.DefaultRequestHeaders.Add("Cookie", IdentityTestClient.AuthCookie(signIn));

        var page = await client.GetAsync("/users");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync());
        Assert.Contains(HubHost.AdminEmail, html, StringComparison.Ordinal);
        // The first user of a workspace is its admin, so the form offers Operator for the next.
        Assert.Matches("<option value=\"Operator\" selected", html);
    }

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
    public async Task AnAdmin_IsNotOfferedToDisableTheirOwnAccount_ButOthers()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var other = await admin.CreateUserAsync(UserRole.Admin);
        var viewer = await admin.CreateUserAsync(UserRole.Viewer);
        using var browser = await hub.SignInAsync(other.Email);

        var html = await browser.GetStringAsync("/users");

        // Blazor names each form in a hidden _handler field.
        Assert.Contains($"name=\"_handler\" value=\"state-{viewer.Id}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"name=\"_handler\" value=\"state-{other.Id}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoleForm_IsNotOfferedForAnInstallationAdmin_AndAPostOfItKeepsTheRole()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var me = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        await admin.CreateUserAsync(UserRole.Admin);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, "/users", $"role-{me.UserId}", [new("Role", "Viewer")]);

        Assert.False(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Redirect, response.StatusCode.ToString());
        Assert.Equal(UserRole.Admin, (await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{me.UserId}", TestJson.Options))!.Role);
    }

    [Fact]
    public async Task DisableForm_PostsTheStateItWants_AndRedirects_SoAResubmitKeepsTheUserDisabled()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var disabled = await PageForm.PostAsync(hub, cookie, "/users", $"state-{user.Id}", [new("State", "disabled")]);
        // A reload after the POST: the browser sends the same form again.
        var resubmitted = await PageForm.PostAsync(hub, cookie, "/users", $"state-{user.Id}", [new("State", "disabled")]);

        AssertRedirectedToUsersWithMessage(hub, disabled);
        Assert.True((await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{user.Id}", TestJson.Options))!.Disabled);
        Assert.Equal(HttpStatusCode.Redirect, resubmitted.StatusCode);
        using var browser = hub.CreateCookieClient(cookie);
        var shown = WebUtility.HtmlDecode(await browser.GetStringAsync(disabled.Headers.Location));
        Assert.Contains($"{user.Email} is disabled.", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoleForm_Redirects_AfterAChange()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, "/users", $"role-{user.Id}", [new("Role", "Editor")]);

        AssertRedirectedToUsersWithMessage(hub, response);
        Assert.Equal(UserRole.Editor, (await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{user.Id}", TestJson.Options))!.Role);
    }

    [Fact]
    public async Task List_MarksInstallationAdmins_AndOffersAWorkspaceAdminNoChangeOfThem()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var installationAdmin = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        var workspaceAdmin = await admin.CreateUserAsync(UserRole.Admin);
        using var asWorkspaceAdmin = await hub.SignInAsync(workspaceAdmin.Email);
        using var asInstallationAdmin = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var seenByWorkspaceAdmin = WebUtility.HtmlDecode(await asWorkspaceAdmin.GetStringAsync("/users"));
        var seenByInstallationAdmin = WebUtility.HtmlDecode(await asInstallationAdmin.GetStringAsync("/users"));

        Assert.Contains("Installation admin", seenByWorkspaceAdmin, StringComparison.Ordinal);
        Assert.DoesNotContain($"role-{installationAdmin.UserId}", seenByWorkspaceAdmin, StringComparison.Ordinal);
        Assert.DoesNotContain($"state-{installationAdmin.UserId}", seenByWorkspaceAdmin, StringComparison.Ordinal);
        Assert.Contains($"role-{workspaceAdmin.Id}", seenByWorkspaceAdmin, StringComparison.Ordinal);
        Assert.Contains($"state-{workspaceAdmin.Id}", seenByInstallationAdmin, StringComparison.Ordinal);
        // Their own account they may not disable from here.
        Assert.DoesNotContain($"state-{installationAdmin.UserId}", seenByInstallationAdmin, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0b7c3a52-6f1e-4a53-9d61-2f1b0e7a9c11")]
    [InlineData("not-a-workspace")]
    public async Task UnknownWorkspace_Answers404WithTheNotFoundCard_AndNoForm(string workspace)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await browser.GetAsync($"/users?workspace={workspace}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("This workspace does not exist", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"create-user\"", html, StringComparison.Ordinal);
    }

    private static void AssertRedirectedToUsersWithMessage(HubHost hub, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = new Uri(hub.BaseAddress, response.Headers.Location!);
        Assert.Equal("/users", location.AbsolutePath);
        Assert.StartsWith("?message=", location.Query, StringComparison.Ordinal);
    }
}
