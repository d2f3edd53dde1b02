using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Identity;

public sealed class FirstRunSetupTests
{
    /// <summary>A hub started like a fresh install: no Bootstrap settings.</summary>
    private static readonly Dictionary<string, string?> FreshInstall = new()
    {
        ["Bootstrap:AdminEmail"] = "",
        ["Bootstrap:AdminPassword"] = "",
        ["Bootstrap:AdminToken"] = "",
        ["Hub:PublicUrl"] = "https://hub.example.test",
    };

    [Theory, AllDatabases]
    public async Task Setup_WithPrintedCode_CreatesInstallationAdminWhoCanSignIn_AndRenamesWorkspace(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, FreshInstall);
        var setup = hub.Services.GetRequiredService<FirstRunSetup>();
        using var client = hub.CreateHttpClient();
        Assert.True((await client.GetFromJsonAsync<SetupStatusResponse>("/api/v1/setup", TestJson.Options))!.SetupPending);

        var response = await client.PostAsJsonAsync("/api/v1/setup",
            new SetupRequest(setup.Code, "First@Example.test", "A-good-passw0rd", "Acme"), TestJson.Options);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var admin = await response.Content.ReadFromJsonAsync<UserInfo>(TestJson.Options);
        Assert.Equal(UserRole.Admin, admin!.Role);
        Assert.True(admin.IsInstallationAdmin);
        Assert.False((await client.GetFromJsonAsync<SetupStatusResponse>("/api/v1/setup", TestJson.Options))!.SetupPending);

        using var browser = await hub.SignInAsync("first@example.test", "A-good-passw0rd");
        var me = await browser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);
        Assert.Equal(admin.Id, me!.UserId);
        var workspaces = await browser.GetFromJsonAsync<List<WorkspaceInfo>>("/api/v1/workspaces", TestJson.Options);
        Assert.Equal("Acme", Assert.Single(workspaces!).Name);
    }

    [Theory, AllDatabases]
    public async Task Setup_Twice_Returns409AndKeepsTheFirstAdmin(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, FreshInstall);
        var code = hub.Services.GetRequiredService<FirstRunSetup>().Code;
        using var client = hub.CreateHttpClient();
        var first = await client.PostAsJsonAsync("/api/v1/setup", new SetupRequest(code, "one@example.test", "A-good-passw0rd", null), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var second = await client.PostAsJsonAsync("/api/v1/setup", new SetupRequest(code, "two@example.test", "A-good-passw0rd", null), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(second, HttpStatusCode.Conflict);
        using var anonymous = hub.CreateHttpClient();
        var signIn = await anonymous.PostAsJsonAsync("/account/login", new LoginRequest("two@example.test", "A-good-passw0rd", null), TestJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Setup_WithWrongCode_Returns403AndSetupStaysOpen(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, FreshInstall);
        using var client = hub.CreateHttpClient();

        var response = await client.PostAsJsonAsync("/api/v1/setup",
            new SetupRequest("not-the-code", "one@example.test", "A-good-passw0rd", null), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.True(hub.Services.GetRequiredService<FirstRunSetup>().IsSetupPending);
    }

    [Theory, AllDatabases]
    public async Task Setup_WithWeakPasswordOrBadEmail_Returns400NamingTheField(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, FreshInstall);
        var code = hub.Services.GetRequiredService<FirstRunSetup>().Code;
        using var client = hub.CreateHttpClient();

        var weak = await client.PostAsJsonAsync("/api/v1/setup", new SetupRequest(code, "one@example.test", "short", null), TestJson.Options);
        var badEmail = await client.PostAsJsonAsync("/api/v1/setup", new SetupRequest(code, "not an email", "A-good-passw0rd", null), TestJson.Options);
        var blankWorkspace = await client.PostAsJsonAsync("/api/v1/setup", new SetupRequest(code, "one@example.test", "A-good-passw0rd", "  "), TestJson.Options);

        await IdentityTestClient.AssertValidationProblemAsync(weak, "password");
        await IdentityTestClient.AssertValidationProblemAsync(badEmail, "email");
        await IdentityTestClient.AssertValidationProblemAsync(blankWorkspace, "workspaceName");
        Assert.True(hub.Services.GetRequiredService<FirstRunSetup>().IsSetupPending);
    }

    // A repeat that did not match hid a mistyped email until the next try.
    [Fact]
    public async Task SetupPage_MistypedRepeatAndAnAddressThatIsNoEmail_SaysBothAtOnce_AndCreatesNoOne()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, FreshInstall);
        var code = hub.Services.GetRequiredService<FirstRunSetup>().Code!;

        var response = await PageForm.PostAsync(hub, "no-session=1", $"/setup?code={Uri.EscapeDataString(code)}", "setup", new Dictionary<string, string>
        {
            ["Input.Code"] = code,
            ["Input.WorkspaceName"] = "",
            ["Input.Email"] = "admin at example.test",
            ["Input.Password"] = "A-good-passw0rd",
            ["Input.ConfirmPassword"] = "A-good-passw0rd!",
        });

        var html = System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("The two passwords differ.", html, StringComparison.Ordinal);
        Assert.Contains("This is not a valid email address.", html, StringComparison.Ordinal);
        Assert.True(hub.Services.GetRequiredService<FirstRunSetup>().IsSetupPending);
    }

    [Theory, AllDatabases]
    public async Task Setup_WithBootstrapSettings_IsClosed(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var status = await client.GetFromJsonAsync<SetupStatusResponse>("/api/v1/setup", TestJson.Options);
        var response = await client.PostAsJsonAsync("/api/v1/setup", new SetupRequest("anything", "x@example.test", "A-good-passw0rd", null), TestJson.Options);

        Assert.False(status!.SetupPending);
        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Theory, AllDatabases]
    public async Task Setup_WhenAnotherNodeCompletedIt_Returns409OnThisNode(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        await using var first = HubHost.Start(database, FreshInstall);
        await using var second = HubHost.Start(database, FreshInstall);
        using var client = first.CreateHttpClient();
        var done = await client.PostAsJsonAsync("/api/v1/setup",
            new SetupRequest(first.Services.GetRequiredService<FirstRunSetup>().Code, "one@example.test", "A-good-passw0rd", null), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);

        using var other = second.CreateHttpClient();
        var response = await other.PostAsJsonAsync("/api/v1/setup",
            new SetupRequest(second.Services.GetRequiredService<FirstRunSetup>().Code, "two@example.test", "A-good-passw0rd", null), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("Bootstrap:AdminEmail", "not-an-email")]
    [InlineData("Bootstrap:AdminPassword", "short")]
    [InlineData("Bootstrap:AdminToken", "too-short-for-a-token")]
    public async Task Start_WithUnusableBootstrapSetting_FailsNamingIt(string key, string value)
    {
        var failure = await Record.ExceptionAsync(async () =>
            await (await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { [key] = value })).DisposeAsync());

        Assert.NotNull(failure);
        Assert.Contains(key, failure.ToString(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Start_WithAdminEmailButNeitherPasswordNorToken_FailsNamingTheKeys_AndLeavesSetupOpen(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);

        var failure = Record.Exception(() => HubHost.Start(database, new Dictionary<string, string?>
        {
            ["Bootstrap:AdminEmail"] = "only@example.com",
            ["Bootstrap:AdminPassword"] = null,
            ["Bootstrap:AdminToken"] = null,
        }).Dispose());

        Assert.NotNull(failure);
        Assert.Contains("Bootstrap:AdminEmail needs Bootstrap:AdminPassword or Bootstrap:AdminToken", failure.ToString(), StringComparison.Ordinal);
        await using var hub = HubHost.Start(database, FreshInstall);
        Assert.NotNull(hub.Services.GetRequiredService<FirstRunSetup>().Code);
    }

    [Theory]
    [InlineData("Bootstrap:AdminToken", "too-short-for-a-token")]
    [InlineData("Bootstrap:AdminPassword", null)]
    [InlineData("Bootstrap:AdminEmail", "not-an-email")]
    public async Task Restart_OnceUsersExist_IgnoresUnusableBootstrapSetting(string key, string? value)
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using (HubHost.Start(database))
        {
        }

        // As an operator who removed the secrets after the first start and kept the email.
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key == "Bootstrap:AdminPassword")
        {
            settings["Bootstrap:AdminToken"] = null;
        }
        await using var hub = HubHost.Start(database, settings);

        using var admin = hub.CreateHttpClient();
        var response = await admin.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, HubHost.AdminPassword, null), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_WithoutUsers_PrintsSetupLinkOnPublicUrl()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, FreshInstall);
            var code = hub.Services.GetRequiredService<FirstRunSetup>().Code;

            Assert.NotNull(code);
            Assert.Contains($"https://hub.example.test/setup?code={code}", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Console.SetOut(original);
        }
    }
}
