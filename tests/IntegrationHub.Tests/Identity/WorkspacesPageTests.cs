using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace IntegrationHub.Tests.Identity;

/// <summary>
/// The Workspaces page and the Users page of another workspace, which only installation admins reach; their forms
/// posted as a browser would (the browser tests cover using them).
/// </summary>
public sealed class WorkspacesPageTests
{
    [Fact]
    public async Task AnInstallationAdmin_CreatesAWorkspace_AndGivesItItsFirstAdmin_FromItsUsersPage()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var api = hub.CreateAdminClient();
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var created = await PageForm.PostAsync(hub, cookie, "/workspaces", "create-workspace", [new("Input.Name", "Northwind")]);

        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var workspace = Assert.Single(
            (await api.GetFromJsonAsync<WorkspaceInfo[]>("/api/v1/workspaces", TestJson.Options))!, w => w.Name == "Northwind");
        var usersPage = new Uri(hub.BaseAddress, created.Headers.Location!);
        Assert.Equal("/users", usersPage.AbsolutePath);
        Assert.Equal(workspace.Id.ToString(), QueryHelpers.ParseQuery(usersPage.Query)["workspace"]);

        using var browser = hub.CreateCookieClient(cookie);
        var page = WebUtility.HtmlDecode(await browser.GetStringAsync(usersPage));
        Assert.Contains("Workspace Northwind created. Add its first Admin.", page, StringComparison.Ordinal);
        // The first user of a new workspace is offered as its Admin.
        Assert.Matches("<option value=\"Admin\" selected", page);

        var added = await PageForm.PostAsync(hub, cookie, usersPage.PathAndQuery, "create-user",
            [new("Input.Email", "lead@northwind.test"), new("Input.Role", "Admin"), new("Input.Password", "Northwind-Lead-42-lamps")]);

        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var theirs = (await api.GetFromJsonAsync<UserInfo[]>($"/api/v1/users?workspaceId={workspace.Id}", TestJson.Options))!;
        var lead = Assert.Single(theirs);
        Assert.Equal(("lead@northwind.test", UserRole.Admin), (lead.Email, lead.Role));
        Assert.DoesNotContain((await api.GetFromJsonAsync<UserInfo[]>("/api/v1/users", TestJson.Options))!, u => u.Email == lead.Email);

        // A change on that page comes back to that workspace's page.
        var viewer = await api.CreateUserAsync(UserRole.Viewer, workspace.Id);
        var promoted = await PageForm.PostAsync(hub, cookie, usersPage.PathAndQuery, $"role-{viewer.Id}", [new("Role", "Editor")]);
        Assert.Equal(HttpStatusCode.Redirect, promoted.StatusCode);
        var back = new Uri(hub.BaseAddress, promoted.Headers.Location!);
        Assert.Equal(workspace.Id.ToString(), QueryHelpers.ParseQuery(back.Query)["workspace"]);
        Assert.Contains($"{viewer.Email} is now Editor.", WebUtility.HtmlDecode(await browser.GetStringAsync(back)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWorkspaceName_ThatIsTakenOrEmpty_IsRefusedOnTheForm()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var api = hub.CreateAdminClient();
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        await PageForm.PostAsync(hub, cookie, "/workspaces", "create-workspace", [new("Input.Name", "Northwind")]);

        var taken = await PageForm.PostAsync(hub, cookie, "/workspaces", "create-workspace", [new("Input.Name", "NORTHWIND")]);
        var empty = await PageForm.PostAsync(hub, cookie, "/workspaces", "create-workspace", [new("Input.Name", "  ")]);

        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        Assert.Contains("A workspace named &#x27;NORTHWIND&#x27; exists already.", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("A name of 1 to", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (await api.GetFromJsonAsync<WorkspaceInfo[]>("/api/v1/workspaces", TestJson.Options))!.Length);
    }

    [Theory]
    [InlineData("North\twind", "one line of text")]
    [InlineData("North\nwind", "one line of text")]
    [InlineData("\u200B", "at least one visible character")]
    public async Task AWorkspaceName_ThatIsNotOneVisibleLine_IsRefused(string name, string expected)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var api = hub.CreateAdminClient();

        var response = await api.PostAsJsonAsync("/api/v1/workspaces", new { name });

        await IdentityTestClient.AssertValidationProblemAsync(response, "name");
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single((await api.GetFromJsonAsync<WorkspaceInfo[]>("/api/v1/workspaces", TestJson.Options))!);
    }

    [Fact]
    public async Task AWorkspaceAdmin_HasNoWorkspacesPage_NorTheUsersOfAnotherWorkspace()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var api = hub.CreateAdminClient();
        var other = (await (await api.PostAsJsonAsync("/api/v1/workspaces", new { name = "Northwind" })).Content.ReadFromJsonAsync<WorkspaceInfo>(TestJson.Options))!;
        var stranger = await api.CreateUserAsync(UserRole.Viewer, other.Id);
        var workspaceAdmin = await api.CreateUserAsync(UserRole.Admin);
        using var browser = await hub.SignInAsync(workspaceAdmin.Email);

        var workspaces = await browser.GetAsync("/workspaces");
        var otherUsersPage = await browser.GetAsync($"/users?workspace={other.Id}");
        var otherUsers = WebUtility.HtmlDecode(await otherUsersPage.Content.ReadAsStringAsync());
        var home = await browser.GetStringAsync("/scenarios");

        Assert.Equal(HttpStatusCode.Redirect, workspaces.StatusCode);
        Assert.StartsWith(AccountPaths.Denied, new Uri(hub.BaseAddress, workspaces.Headers.Location!).PathAndQuery, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(stranger.Email, otherUsers, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, otherUsersPage.StatusCode);
        Assert.Contains("This workspace does not exist", otherUsers, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/workspaces\"", home, StringComparison.Ordinal);
    }
}
