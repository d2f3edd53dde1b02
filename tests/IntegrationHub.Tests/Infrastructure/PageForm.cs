using System.Text.RegularExpressions;
using IntegrationHub.Tests.Identity;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>Posts a server-rendered page's form as a browser would: the antiforgery token and cookie from a GET first.</summary>
internal static partial class PageForm
{
    /// <summary>GETs <paramref name="path"/> signed in with <paramref name="authCookie"/>, then posts <paramref name="fields"/> to the form <paramref name="formName"/>.</summary>
    public static async Task<HttpResponseMessage> PostAsync(
        HubHost hub, string authCookie, string path, string formName, IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var reader = hub.CreateCookieClient(authCookie);
        var page = await reader.GetAsync(path);
        page.EnsureSuccessStatusCode();
        var token = TokenInput().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.NotEmpty(token);
        var antiforgeryCookie = page.Headers.GetValues("Set-Cookie").Select(v => v.Split(';')[0])
            .First(v => v.StartsWith("IntegrationHub.Antiforgery=", StringComparison.Ordinal));

        using var poster = hub.CreateCookieClient($"{authCookie}; {antiforgeryCookie}");
        var body = fields.Append(new("_handler", formName)).Append(new("__RequestVerificationToken", System.Net.WebUtility.HtmlDecode(token)));
        return await poster.PostAsync(path, new FormUrlEncodedContent(body));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}
