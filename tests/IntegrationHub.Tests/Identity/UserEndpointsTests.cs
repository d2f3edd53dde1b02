using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

public sealed class UserEndpointsTests
{
    [Theory, AllDatabases]
    public async Task CreateUser_WithoutPassword_Returns201WithInitialPasswordThatSignsIn(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();

        var response = await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest("new.person@hub.test", null, UserRole.Operator, null), TestJson.Options);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedUser>(TestJson.Options))!;
        Assert.NotNull(created.InitialPassword);
        using var browser = await hub.SignInAsync("new.person@hub.test", created.InitialPassword);
        var me = await browser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);
        Assert.Equal(UserRole.Operator, me!.Role);
        var users = await admin.GetFromJsonAsync<List<UserInfo>>("/api/v1/users", TestJson.Options);
        Assert.Contains(users!, u => u.Id == created.User.Id);
    }

    [Theory, AllDatabases]
    public async Task CreateUser_WithDuplicateEmail_Returns409_AndBadInput_Returns400(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();

        var duplicate = await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest(HubHost.AdminEmail.ToUpperInvariant(), null, UserRole.Viewer, null), TestJson.Options);
        var badEmail = await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest("nope", null, UserRole.Viewer, null), TestJson.Options);
        var noRole = await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest("x@hub.test", null, null, null), TestJson.Options);
        var unknownRole = await admin.PostAsync("/api/v1/users", JsonContent.Create(new { email = "y@hub.test", role = "Boss" }));
        var weak = await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest("z@hub.test", "short", UserRole.Viewer, null), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(duplicate, HttpStatusCode.Conflict);
        await IdentityTestClient.AssertValidationProblemAsync(badEmail, "email");
        await IdentityTestClient.AssertValidationProblemAsync(noRole, "role");
        await IdentityTestClient.AssertProblemAsync(unknownRole, HttpStatusCode.BadRequest);
        await IdentityTestClient.AssertValidationProblemAsync(weak, "password");
    }

    [Theory, AllDatabases]
    public async Task Users_AsNonAdmin_Returns403_AndWithoutCredentials_Returns401(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var editor = await admin.CreateUserAsync(UserRole.Editor);
        using var asEditor = hub.CreateHttpClient(await hub.CreateTokenForAsync(editor.Email));
        using var anonymous = hub.CreateHttpClient();

        await IdentityTestClient.AssertProblemAsync(await asEditor.GetAsync("/api/v1/users"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(
            await asEditor.PostAsJsonAsync("/api/v1/users", new CreateUserRequest("a@hub.test", null, UserRole.Admin, null), TestJson.Options),
            HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await asEditor.GetAsync("/api/v1/workspaces"), HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(await anonymous.GetAsync("/api/v1/users"), HttpStatusCode.Unauthorized);
    }

    [Theory, AllDatabases]
    public async Task SetRole_ChangesRoleOfTokensAtOnce_AndRefusesToDemoteLastAdmin(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        using var asUser = hub.CreateHttpClient(await hub.CreateTokenForAsync(user.Email));
        Assert.Equal(UserRole.Viewer, (await asUser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!.Role);

        var promoted = await admin.PutAsJsonAsync($"/api/v1/users/{user.Id}/role", new SetRoleRequest(UserRole.Editor), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal(UserRole.Editor, (await asUser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!.Role);

        var me = (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        var demoteLast = await admin.PutAsJsonAsync($"/api/v1/users/{me.UserId}/role", new SetRoleRequest(UserRole.Editor), TestJson.Options);
        var disableLast = await admin.PostAsync($"/api/v1/users/{me.UserId}/disable", null);
        var noRole = await admin.PutAsJsonAsync($"/api/v1/users/{user.Id}/role", new SetRoleRequest(null), TestJson.Options);
        var unknown = await admin.PutAsJsonAsync($"/api/v1/users/{Guid.NewGuid()}/role", new SetRoleRequest(UserRole.Viewer), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(demoteLast, HttpStatusCode.Conflict);
        await IdentityTestClient.AssertProblemAsync(disableLast, HttpStatusCode.Conflict);
        await IdentityTestClient.AssertValidationProblemAsync(noRole, "role");
        await IdentityTestClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Theory, AllDatabases]
    public async Task DemoteAdmin_WhenAnotherAdminRemains_Succeeds(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var second = await admin.CreateUserAsync(UserRole.Admin);

        var response = await admin.PutAsJsonAsync($"/api/v1/users/{second.Id}/role", new SetRoleRequest(UserRole.Viewer), TestJson.Options);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(UserRole.Viewer, (await response.Content.ReadFromJsonAsync<UserInfo>(TestJson.Options))!.Role);
    }

    [Theory, AllDatabases]
    public async Task DisableUser_StopsTheirTokens_AndEnableRestoresThem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Operator);
        using var asUser = hub.CreateHttpClient(await hub.CreateTokenForAsync(user.Email));
        Assert.Equal(HttpStatusCode.OK, (await asUser.GetAsync("/api/v1/me")).StatusCode);

        var disabled = await admin.PostAsync($"/api/v1/users/{user.Id}/disable", null);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.True((await disabled.Content.ReadFromJsonAsync<UserInfo>(TestJson.Options))!.Disabled);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asUser.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/users/{user.Id}/enable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await asUser.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task DisableUser_EndsTheirCookieSessionsForGood_EvenOnceEnabledAgain(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Operator);
        using var browser = await hub.SignInAsync(user.Email);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/users/{user.Id}/disable", null)).StatusCode);
        var whileDisabled = await browser.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/users/{user.Id}/enable", null)).StatusCode);
        var onceEnabled = await browser.GetAsync("/api/v1/me");
        using var signedInAgain = await hub.SignInAsync(user.Email);

        Assert.Equal(HttpStatusCode.Unauthorized, whileDisabled.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, onceEnabled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await signedInAgain.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task WorkspaceAdmin_NeverSeesOrChangesUsersOfAnotherWorkspace(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();
        var other = await CreateWorkspaceAsync(installationAdmin, "Other team");
        var otherAdmin = await installationAdmin.CreateUserAsync(UserRole.Admin, other.Id);
        var defaultUser = await installationAdmin.CreateUserAsync(UserRole.Viewer);
        using var asOtherAdmin = hub.CreateHttpClient(await hub.CreateTokenForAsync(otherAdmin.Email));

        var listed = await asOtherAdmin.GetFromJsonAsync<List<UserInfo>>("/api/v1/users", TestJson.Options);
        var listOtherWorkspace = await asOtherAdmin.GetAsync($"/api/v1/users?workspaceId={defaultUser.WorkspaceId}");
        var setRole = await asOtherAdmin.PutAsJsonAsync($"/api/v1/users/{defaultUser.Id}/role", new SetRoleRequest(UserRole.Admin), TestJson.Options);
        var disable = await asOtherAdmin.PostAsync($"/api/v1/users/{defaultUser.Id}/disable", null);
        var createThere = await asOtherAdmin.PostAsJsonAsync("/api/v1/users",
            new CreateUserRequest("intruder@hub.test", null, UserRole.Admin, defaultUser.WorkspaceId), TestJson.Options);

        Assert.All(listed!, u => Assert.Equal(other.Id, u.WorkspaceId));
        Assert.Contains(listed!, u => u.Id == otherAdmin.Id);
        await IdentityTestClient.AssertProblemAsync(listOtherWorkspace, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(setRole, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(disable, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(createThere, HttpStatusCode.NotFound);
        var defaultUsers = await installationAdmin.GetFromJsonAsync<List<UserInfo>>("/api/v1/users", TestJson.Options);
        Assert.Equal(UserRole.Viewer, Assert.Single(defaultUsers!, u => u.Id == defaultUser.Id).Role);
        Assert.DoesNotContain(defaultUsers!, u => u.Email == "intruder@hub.test");
    }

    [Theory, AllDatabases]
    public async Task InstallationAdmin_ListsAndManagesUsersOfAnyWorkspace(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();
        var other = await CreateWorkspaceAsync(installationAdmin, "Ops");
        var user = await installationAdmin.CreateUserAsync(UserRole.Editor, other.Id);

        var listed = await installationAdmin.GetFromJsonAsync<List<UserInfo>>($"/api/v1/users?workspaceId={other.Id}", TestJson.Options);
        var role = await installationAdmin.PutAsJsonAsync($"/api/v1/users/{user.Id}/role", new SetRoleRequest(UserRole.Viewer), TestJson.Options);
        var unknownWorkspace = await installationAdmin.GetAsync($"/api/v1/users?workspaceId={Guid.NewGuid()}");

        Assert.Equal(user.Id, Assert.Single(listed!).Id);
        Assert.Equal(HttpStatusCode.OK, role.StatusCode);
        await IdentityTestClient.AssertProblemAsync(unknownWorkspace, HttpStatusCode.NotFound);
    }

    // Bound before the handler runs, so the database does not matter.
    [Fact]
    public async Task ListUsers_WithAWorkspaceIdThatIsNotAUuid_Returns400ProblemNamingIt()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();

        var response = await admin.GetAsync("/api/v1/users?workspaceId=notaguid");

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("workspaceId", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task InstallationAdmin_IsChangedOnlyByAnInstallationAdmin_AndTheLastOneStaysEnabled(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();
        var me = (await installationAdmin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        var workspaceAdmin = await installationAdmin.CreateUserAsync(UserRole.Admin);
        using var asWorkspaceAdmin = hub.CreateHttpClient(await hub.CreateTokenForAsync(workspaceAdmin.Email));

        var demote = await asWorkspaceAdmin.PutAsJsonAsync($"/api/v1/users/{me.UserId}/role", new SetRoleRequest(UserRole.Viewer), TestJson.Options);
        var disable = await asWorkspaceAdmin.PostAsync($"/api/v1/users/{me.UserId}/disable", null);
        // Another Admin remains in the workspace, but no other installation admin.
        var disableSelf = await installationAdmin.PostAsync($"/api/v1/users/{me.UserId}/disable", null);

        await IdentityTestClient.AssertProblemAsync(demote, HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(disable, HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(disableSelf, HttpStatusCode.Conflict);
        var after = (await installationAdmin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        Assert.Equal(UserRole.Admin, after.Role);
        Assert.True(after.IsInstallationAdmin);
    }

    [Theory, AllDatabases]
    public async Task InstallationAdmin_CannotBeDemoted_EvenWithAnotherAdminInTheWorkspace(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();
        var me = (await installationAdmin.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!;
        await installationAdmin.CreateUserAsync(UserRole.Admin);

        var demoteSelf = await installationAdmin.PutAsJsonAsync($"/api/v1/users/{me.UserId}/role", new SetRoleRequest(UserRole.Viewer), TestJson.Options);

        var problem = await IdentityTestClient.ReadProblemAsync(demoteSelf, HttpStatusCode.Conflict);
        Assert.Contains("installation admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(UserRole.Admin, (await installationAdmin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{me.UserId}", TestJson.Options))!.Role);
        // Still able to give a new workspace its users.
        var workspace = await CreateWorkspaceAsync(installationAdmin, "Later");
        await installationAdmin.CreateUserAsync(UserRole.Admin, workspace.Id);
    }

    [Theory, AllDatabases]
    public async Task CreateWorkspace_Returns201_DuplicateNameReturns409_BlankReturns400_NonInstallationAdmin403(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();
        var created = await CreateWorkspaceAsync(installationAdmin, "Finance");
        var workspaceAdmin = await installationAdmin.CreateUserAsync(UserRole.Admin, created.Id);
        using var asWorkspaceAdmin = hub.CreateHttpClient(await hub.CreateTokenForAsync(workspaceAdmin.Email));

        var duplicate = await installationAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest("FINANCE"), TestJson.Options);
        var blank = await installationAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest(""), TestJson.Options);
        var notAllowed = await asWorkspaceAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest("Mine"), TestJson.Options);
        var all = await installationAdmin.GetFromJsonAsync<List<WorkspaceInfo>>("/api/v1/workspaces", TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(duplicate, HttpStatusCode.Conflict);
        await IdentityTestClient.AssertValidationProblemAsync(blank, "name");
        await IdentityTestClient.AssertProblemAsync(notAllowed, HttpStatusCode.Forbidden);
        Assert.Equal(["Default", "Finance"], all!.Select(w => w.Name));
    }

    [Theory, AllDatabases]
    public async Task CreateWorkspace_ManyAtOnceWithOneName_CreatesOne_AndAnswersTheOthers409(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            installationAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest(i % 2 == 0 ? "Sales" : "SALES "), TestJson.Options)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        var all = await installationAdmin.GetFromJsonAsync<List<WorkspaceInfo>>("/api/v1/workspaces", TestJson.Options);
        Assert.Single(all!, w => w.Name.Equals("sales", StringComparison.OrdinalIgnoreCase));
    }

    [Theory, AllDatabases]
    public async Task CreatedUserAndWorkspace_LocationAnswersWithThem_ForTheirAdminsOnly(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var installationAdmin = hub.CreateAdminClient();
        var workspaceResponse = await installationAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest("Sales"), TestJson.Options);
        var workspace = (await workspaceResponse.Content.ReadFromJsonAsync<WorkspaceInfo>(TestJson.Options))!;
        var userResponse = await installationAdmin.PostAsJsonAsync("/api/v1/users",
            new CreateUserRequest($"sales-{Guid.NewGuid():N}@hub.test", null, UserRole.Admin, workspace.Id), TestJson.Options);
        var (user, initialPassword) = (await userResponse.Content.ReadFromJsonAsync<CreatedUser>(TestJson.Options))!;
        var defaultUser = await installationAdmin.CreateUserAsync(UserRole.Viewer);
        using var asSalesAdmin = hub.CreateHttpClient(await hub.CreateTokenForAsync(user.Email, initialPassword!));

        var gotWorkspace = await installationAdmin.GetFromJsonAsync<WorkspaceInfo>(workspaceResponse.Headers.Location, TestJson.Options);
        var gotUser = await installationAdmin.GetFromJsonAsync<UserInfo>(userResponse.Headers.Location, TestJson.Options);
        var ownUser = await asSalesAdmin.GetAsync(userResponse.Headers.Location);
        var userOfAnotherWorkspace = await asSalesAdmin.GetAsync($"/api/v1/users/{defaultUser.Id}");
        var workspaceAsWorkspaceAdmin = await asSalesAdmin.GetAsync(workspaceResponse.Headers.Location);
        var unknownWorkspace = await installationAdmin.GetAsync($"/api/v1/workspaces/{Guid.NewGuid()}");

        Assert.Equal(workspace, gotWorkspace);
        Assert.Equal(user, gotUser);
        Assert.Equal(HttpStatusCode.OK, ownUser.StatusCode);
        await IdentityTestClient.AssertProblemAsync(userOfAnotherWorkspace, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(workspaceAsWorkspaceAdmin, HttpStatusCode.Forbidden);
        await IdentityTestClient.AssertProblemAsync(unknownWorkspace, HttpStatusCode.NotFound);
    }

    private static async Task<WorkspaceInfo> CreateWorkspaceAsync(HttpClient installationAdmin, string name)
    {
        var response = await installationAdmin.PostAsJsonAsync("/api/v1/workspaces", new CreateWorkspaceRequest(name), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WorkspaceInfo>(TestJson.Options))!;
    }
}
