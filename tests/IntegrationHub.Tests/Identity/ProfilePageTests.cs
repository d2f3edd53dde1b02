using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>The server-rendered Profile page's change-password form, posted over HTTP.</summary>
public sealed class ProfilePageTests
{
    [Fact]
    public async Task ChangePassword_AfterTooManyWrongCurrentPasswords_ShowsTheLockout_AndKeepsThePassword()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(user.Email);
        for (var i = 0; i < SignInThrottle.MaximumFailures; i++)
        {
            var wrong = await PostChangeAsync(hub, cookie, $"guess-{i}-wrong");
            Assert.Contains("The current password is wrong.", await ReadHtmlAsync(wrong), StringComparison.Ordinal);
        }

        var right = await PostChangeAsync(hub, cookie, IdentityTestClient.Password);

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var html = await ReadHtmlAsync(right);
        Assert.Contains("Too many wrong passwords for this account lately. Try again after", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Password changed.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangePassword_WithoutTheCurrentPassword_AsksForIt_RatherThanCallingItWrong()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(user.Email);

        var html = await ReadHtmlAsync(await PostChangeAsync(hub, cookie, ""));

        Assert.Contains("Enter your current password.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("The current password is wrong.", html, StringComparison.Ordinal);
    }

    // The repeat that did not match hid what was wrong with the new password itself until the next try.
    [Fact]
    public async Task ChangePassword_MistypedRepeatOfAPasswordTooShort_SaysBothAtOnce()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(user.Email);

        var html = await ReadHtmlAsync(await PostChangeAsync(hub, cookie, IdentityTestClient.Password, newPassword: "short", repeated: "shorter"));

        Assert.Contains("The two new passwords differ.", html, StringComparison.Ordinal);
        Assert.Contains($"The password must be at least {CredentialRules.MinimumPasswordLength} characters long.", html, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> PostChangeAsync(
        HubHost hub, string cookie, string currentPassword, string newPassword = "A-new-passw0rd", string? repeated = null) =>
        PageForm.PostAsync(hub, cookie, "/account/profile", "change-password", new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = currentPassword,
            ["Input.NewPassword"] = newPassword,
            ["Input.ConfirmPassword"] = repeated ?? newPassword,
        });

    private static async Task<string> ReadHtmlAsync(HttpResponseMessage response) =>
        WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
}
