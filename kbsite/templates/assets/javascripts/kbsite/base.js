/* Material for MkDocs 9.8.2 (MIT licence), partials/javascripts/base.html, moved out of the page
   so the Content-Security-Policy needs no 'unsafe-inline'. Keep in step when Material is upgraded. */
// The scope comes from the script element's data attribute (it was a template value).
__md_scope=new URL(document.currentScript.getAttribute("data-md-scope"),location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}}
