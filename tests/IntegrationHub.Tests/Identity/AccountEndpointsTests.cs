using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

public sealed class AccountEndpointsTests
{
    [Theory, AllDatabases]
    public async Task Login_WithJson_SetsHttpOnlyLaxCookieThatAuthenticatesTheApi(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var response = await client.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail.ToUpperInvariant(), HubHost.AdminPassword, null), TestJson.Options);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), v => v.StartsWith("IntegrationHub.Auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        using var browser = hub.CreateCookieClient(IdentityTestClient.AuthCookie(response)!);
        var me = await browser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);
        Assert.Equal(HubHost.AdminEmail, me!.Email);
    }

    [Theory, AllDatabases]
    public async Task Login_WithWrongPasswordOrUnknownEmail_Returns401ProblemAndNoCookie(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var wrongPassword = await client.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, "wrong-password", null), TestJson.Options);
        var unknown = await client.PostAsJsonAsync("/account/login", new LoginRequest("nobody@hub.test", HubHost.AdminPassword, null), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(wrongPassword, HttpStatusCode.Unauthorized);
        await IdentityTestClient.AssertProblemAsync(unknown, HttpStatusCode.Unauthorized);
        Assert.Null(IdentityTestClient.AuthCookie(wrongPassword));
    }

    [Theory, AllDatabases]
    public async Task Login_WithMalformedJsonOrUnsupportedType_Returns400Or415(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var malformed = await client.PostAsync("/account/login", new StringContent("{ \"email\": ", System.Text.Encoding.UTF8, "application/json"));
        var text = await client.PostAsync("/account/login", new StringContent("hello", System.Text.Encoding.UTF8, "text/plain"));

        await IdentityTestClient.AssertProblemAsync(malformed, HttpStatusCode.BadRequest);
        var problem = await IdentityTestClient.ReadProblemAsync(text, HttpStatusCode.UnsupportedMediaType);
        // Says what to send, not only "Unsupported Media Type."
        Assert.Equal("Send application/json { email, password } or a form post.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/scenarios", "/scenarios")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/\u00e9", "/%C3%A9")]
    [InlineData("/scenarios?q=M\u00fcller", "/scenarios?q=M%C3%BCller")]
    [InlineData("/scenarios?q=M%C3%BCller%20x", "/scenarios?q=M%C3%BCller%20x")]
    [InlineData("//\u00e9vil.example/x", "/")]
    public async Task Login_WithForm_RedirectsOnlyToLocalReturnUrl(string returnUrl, string expected)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = HubHost.AdminEmail,
            ["password"] = HubHost.AdminPassword,
            ["returnUrl"] = returnUrl,
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location?.OriginalString);
        Assert.NotNull(IdentityTestClient.AuthCookie(response));
    }

    [Fact]
    public async Task Login_WithFormAndWrongPassword_RedirectsBackToTheSignInPageWithoutCookie()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = HubHost.AdminEmail,
            ["password"] = "wrong-password",
            ["returnUrl"] = "/runs",
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?failed=true&returnUrl=%2Fruns", response.Headers.Location?.OriginalString);
        Assert.Null(IdentityTestClient.AuthCookie(response));
    }

    [Fact]
    public async Task Login_WithFormPostedFromAnotherSite_Returns403()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = HubHost.AdminEmail, ["password"] = HubHost.AdminPassword }),
        };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        var response = await client.SendAsync(request);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Login_WithAnEmailLongerThanAnyAccountHas_Is401_WithoutBeingCountedByTheThrottle()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        // Remembered per email tried, megabyte-long emails would fill the node's memory instead of locking anything.
        var email = new string('a', 1_000_000) + "@hub.test";

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i <= SignInThrottle.MaximumFailures; i++)
        {
            var response = await client.PostAsJsonAsync("/account/login", new LoginRequest(email, "wrong-password", null), TestJson.Options);
            answers.Add(response.StatusCode);
        }

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task Logout_PostedFromAnotherSite_WithAnyBody_Returns403_AndTheSessionStays(string? contentType)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/logout")
        {
            Content = contentType is null ? null : new StringContent("x", System.Text.Encoding.UTF8, contentType),
        };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        var response = await browser.SendAsync(request);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory]
    [InlineData("{\"password\":\"x\"}", "email")]
    [InlineData("{\"email\":\"a@b.c\"}", "password")]
    [InlineData("{\"email\":\"\",\"password\":\"x\"}", "email")]
    [InlineData("null", "email")]
    public async Task Login_WithJsonMissingAField_Returns400NamingIt(string body, string field)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.PostAsync("/account/login", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await IdentityTestClient.AssertValidationProblemAsync(response, field);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    public async Task Login_WithFormPostedFromAnotherOriginByABrowserWithoutFetchMetadata_Returns403WithoutCookie(string origin)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = HubHost.AdminEmail, ["password"] = HubHost.AdminPassword }),
        };
        request.Headers.Add("Origin", origin);

        var response = await client.SendAsync(request);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Null(IdentityTestClient.AuthCookie(response));
    }

    [Fact]
    public async Task Login_WithFormPostedFromThisOrigin_SignsIn()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = HubHost.AdminEmail, ["password"] = HubHost.AdminPassword }),
        };
        request.Headers.Add("Origin", hub.BaseAddress.GetLeftPart(UriPartial.Authority));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.NotNull(IdentityTestClient.AuthCookie(response));
    }

    [Theory, AllDatabases]
    public async Task Login_AfterTooManyWrongPasswords_Returns429EvenWithTheRightOne(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();
        for (var i = 0; i < SignInThrottle.MaximumFailures; i++)
        {
            var wrong = await client.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, $"wrong-{i}", null), TestJson.Options);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        var response = await client.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, HubHost.AdminPassword, null), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.TooManyRequests);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Null(IdentityTestClient.AuthCookie(response));
    }

    [Theory]
    [InlineData("/account/login", "fields")]
    [InlineData("/account/login", "long value")]
    [InlineData("/account/logout", "fields")]
    [InlineData("/account/logout", "long value")]
    public async Task LoginAndLogout_WithFormOverItsLimits_Return400Problem(string path, string overLimit)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        // ASP.NET Core's form reader takes at most 1024 fields and 4 MiB in one value.
        var form = overLimit == "fields"
            ? string.Join('&', Enumerable.Range(0, 1025).Select(i => $"f{i}=x"))
            : "email=" + new string('a', (4 * 1024 * 1024) + 1);

        var response = await client.PostAsync(path, new StringContent(form, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("limit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json")]
    public async Task Login_WithBodyOverTheServersLimit_Returns413Problem(string contentType)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        // The client waits for 100-continue (as browsers and curl do for large bodies) before it sends the body: the hub
        // answers without reading it and closes the connection, which would fail a client still sending. The wait is
        // long so that a slow machine does not send the body anyway after the default second.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(5) }) { BaseAddress = hub.BaseAddress };
        // Kestrel's default limit is 30,000,000 bytes.
        var body = contentType == "application/json"
            ? "{\"email\":\"" + new string('a', 30_000_000) + "\"}"
            : "email=" + new string('a', 30_000_000);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new StringContent(body, System.Text.Encoding.ASCII, contentType),
        };
        request.Headers.ExpectContinue = true;

        var response = await client.SendAsync(request);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("/scenarios?q=M\u00fcller", "/scenarios?q=M%C3%BCller")]
    [InlineData("https://evil.example/", "/")]
    public async Task Logout_WithForm_RedirectsToLocalReturnUrl_PercentEncodingNonAscii(string returnUrl, string expected)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await browser.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["returnUrl"] = returnUrl }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location?.OriginalString);
    }

    [Theory, AllDatabases]
    public async Task Logout_RemovesTheCookie(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await browser.PostAsync("/account/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cleared = Assert.Single(response.Headers.GetValues("Set-Cookie"), v => v.StartsWith("IntegrationHub.Auth=", StringComparison.Ordinal));
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
    }

    [Theory, AllDatabases]
    public async Task Logout_EndsTheSession_ACopyOfTheCookieStopsWorkingOnEveryNode_OtherSessionsStay(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        await using var first = HubHost.Start(database);
        await using var second = HubHost.Start(database);
        var cookie = await first.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        var otherBrowser = await first.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var browser = first.CreateCookieClient(cookie);
        using var copyOnTheSecondNode = second.CreateCookieClient(cookie);
        Assert.Equal(HttpStatusCode.OK, (await copyOnTheSecondNode.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await browser.PostAsync("/account/logout", null)).StatusCode);

        using var copyOnTheFirstNode = first.CreateCookieClient(cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await copyOnTheFirstNode.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await copyOnTheSecondNode.GetAsync("/api/v1/me")).StatusCode);
        using var other = second.CreateCookieClient(otherBrowser);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Login_FromABrowserWithASession_StartsANewOne_SoACopyOfTheOldCookieIsNotSignedInAsTheNewUser(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var viewer = await admin.CreateUserAsync(UserRole.Viewer);
        // Session fixation: someone's own cookie, planted in the browser (or copied from it) before another person signs in.
        var planted = await hub.SignInCookieAsync(viewer.Email);
        using var browser = hub.CreateCookieClient(planted);

        var signIn = await browser.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, HubHost.AdminPassword, null), TestJson.Options);

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var issued = IdentityTestClient.AuthCookie(signIn)!;
        Assert.NotEqual(planted, issued);
        using var signedIn = hub.CreateCookieClient(issued);
        Assert.Equal(HubHost.AdminEmail, (await signedIn.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options))!.Email);
        using var copy = hub.CreateCookieClient(planted);
        var copied = await copy.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, copied.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task ChangePassword_GivesThisBrowserANewSession_SoACopyOfItsCookieStopsWorking(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(user.Email);
        using var browser = hub.CreateCookieClient(cookie);

        var response = await browser.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest(IdentityTestClient.Password, "A-new-passw0rd"), TestJson.Options);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var renewed = hub.CreateCookieClient(IdentityTestClient.AuthCookie(response)!);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/v1/me")).StatusCode);
        // A copy taken before the change (a stolen cookie) is what changing the password is meant to shut out.
        using var stolen = hub.CreateCookieClient(cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stolen.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Login_OfDisabledUser_Returns403_AndTheirExistingCookieStopsWorking(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Editor);
        using var browser = await hub.SignInAsync(user.Email);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/users/{user.Id}/disable", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/me")).StatusCode);
        using var client = hub.CreateHttpClient();
        var again = await client.PostAsJsonAsync("/account/login", new LoginRequest(user.Email, IdentityTestClient.Password, null), TestJson.Options);
        await IdentityTestClient.AssertProblemAsync(again, HttpStatusCode.Forbidden);
    }

    [Theory, AllDatabases]
    public async Task Cookie_IssuedByOneNode_AuthenticatesOnAnotherNodeSharingTheDatabase(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateAsync(provider);
        string cookie;
        await using (var first = HubHost.Start(database))
        {
            cookie = await first.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        }

        // A second node, started after the first is gone: it knows the key only from the database.
        await using var second = HubHost.Start(database);
        using var browser = second.CreateCookieClient(cookie);
        var response = await browser.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HubHost.AdminEmail, (await response.Content.ReadFromJsonAsync<MeResponse>(TestJson.Options))!.Email);
    }

    [Theory, AllDatabases]
    public async Task ChangePassword_WithCurrentPassword_KeepsThisSessionAndEndsOthers(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        using var other = await hub.SignInAsync(user.Email);
        using var client = hub.CreateHttpClient();
        var signIn = await client.PostAsJsonAsync("/account/login", new LoginRequest(user.Email, IdentityTestClient.Password, null), TestJson.Options);
        using var browser = hub.CreateCookieClient(IdentityTestClient.AuthCookie(signIn)!);

        var response = await browser.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest(IdentityTestClient.Password, "A-new-passw0rd"), TestJson.Options);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var renewed = hub.CreateCookieClient(IdentityTestClient.AuthCookie(response)!);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/v1/me")).StatusCode);
        using var fresh = hub.CreateHttpClient();
        var withNew = await fresh.PostAsJsonAsync("/account/login", new LoginRequest(user.Email, "A-new-passw0rd", null), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task ChangePassword_WithWrongCurrentOrWeakNew_Returns400(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var admin = hub.CreateAdminClient();

        var wrong = await admin.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest("wrong-one", "A-new-passw0rd"), TestJson.Options);
        var weak = await admin.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest(HubHost.AdminPassword, "short"), TestJson.Options);

        await IdentityTestClient.AssertValidationProblemAsync(wrong, "currentPassword");
        await IdentityTestClient.AssertValidationProblemAsync(weak, "newPassword");
    }

    [Fact]
    public async Task ChangePassword_AfterTooManyWrongCurrentPasswords_Returns429EvenWithTheRightOne_AndSignInIsThrottledToo()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        using var asUser = hub.CreateHttpClient(await hub.CreateTokenForAsync(user.Email));
        for (var i = 0; i < SignInThrottle.MaximumFailures; i++)
        {
            var wrong = await asUser.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest($"guess-{i}-wrong", "A-new-passw0rd"), TestJson.Options);
            await IdentityTestClient.AssertValidationProblemAsync(wrong, "currentPassword");
        }

        var right = await asUser.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest(IdentityTestClient.Password, "A-new-passw0rd"), TestJson.Options);
        using var client = hub.CreateHttpClient();
        var signIn = await client.PostAsJsonAsync("/account/login", new LoginRequest(user.Email, IdentityTestClient.Password, null), TestJson.Options);

        var problem = await IdentityTestClient.ReadProblemAsync(right, HttpStatusCode.TooManyRequests);
        Assert.Contains("Too many wrong passwords", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(right.Headers.RetryAfter?.Delta > TimeSpan.Zero, right.Headers.RetryAfter?.ToString());
        await IdentityTestClient.AssertProblemAsync(signIn, HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task ChangePassword_WithoutCredentials_Returns401()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.PostAsJsonAsync("/api/v1/me/password", new ChangePasswordRequest("a", "b"), TestJson.Options);

        await IdentityTestClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }
}
