/* Material for MkDocs 9.8.2 (MIT licence), partials/javascripts/outdated.html, moved out of the page
   so the Content-Security-Policy needs no 'unsafe-inline'. Keep in step when Material is upgraded. */
// The base comes from the script element's data attribute (it was a template value).
var el=document.querySelector("[data-md-component=outdated]"),base=new URL(document.currentScript.getAttribute("data-md-base"),location),outdated=__md_get("__outdated",sessionStorage,base);!0===outdated&&el&&(el.hidden=!1)
