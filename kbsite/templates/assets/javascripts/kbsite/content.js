/* Material for MkDocs 9.8.2 (MIT licence), partials/javascripts/content.html, moved out of the page
   so the Content-Security-Policy needs no 'unsafe-inline'. Keep in step when Material is upgraded. */
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
