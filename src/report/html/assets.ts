/** Inline CSS and JS of the HTML report (no network: everything is in the one file). */

export const CSS = `
:root{--fg:#1f2328;--muted:#57606a;--bg:#fff;--line:#d0d7de;--pass:#0b4f1e;--pass-bg:#dafbe1;--fail:#82071e;--fail-bg:#ffebe9;--skip:#4d2d00;--skip-bg:#fff8c5;--xfail:#0a3069;--xfail-bg:#ddf4ff;--focus:#0969da}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1400px;padding:0 16px 48px}
a{color:#0550ae}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 24px;border-bottom:1px solid var(--line);padding:12px 0}
h1{font-size:20px;margin:0}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px}
.verdict{font-weight:600;padding:2px 10px;border-radius:12px}
.totals{display:flex;gap:6px;flex-wrap:wrap;margin:0;padding:0;list-style:none}
.badge{display:inline-block;min-width:2.2em;text-align:center;border-radius:10px;padding:0 8px;font-weight:600;font-variant-numeric:tabular-nums}
.pass{color:var(--pass);background:var(--pass-bg)}.fail,.xpass,.error{color:var(--fail);background:var(--fail-bg)}
.skip-s{color:var(--skip);background:var(--skip-bg)}.xfail{color:var(--xfail);background:var(--xfail-bg)}
.zero{color:var(--muted);background:none;font-weight:400}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#f6f8fa;z-index:1}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.filters{display:flex;flex-wrap:wrap;gap:8px 18px;align-items:center;margin:6px 0 10px}
.filters label{display:inline-flex;gap:6px;align-items:center}
input[type=search],select{font:inherit;padding:3px 6px;border:1px solid #8c959f;border-radius:6px}
.count{color:var(--muted)}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
details.failure{border:1px solid var(--line);border-left:4px solid var(--fail);border-radius:6px;margin:8px 0;padding:0 10px}
details.failure.xfail-d{border-left-color:#0969da}
details.failure>summary{cursor:pointer;padding:8px 0;font-weight:600}
details.failure[open]>summary{border-bottom:1px solid var(--line);margin-bottom:8px}
.msg{margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.divergence{background:#fff8c5;color:#4d2d00;padding:4px 8px;border-radius:4px}
pre.diff{overflow:auto;max-height:420px;border:1px solid var(--line);border-radius:6px;padding:6px 0;background:#f6f8fa}
pre.diff span{display:block;padding:0 8px;white-space:pre}
pre.diff .del{background:#ffebe9;color:#82071e}pre.diff .add{background:#dafbe1;color:#0b4f1e}
pre.diff .hunk{color:#0550ae}pre.diff .hdr{font-weight:600}
pre.diff mark{background:#ff8182;color:#000}pre.diff .add mark{background:#4ac26b;color:#000}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:900px){.sbs{grid-template-columns:1fr}}
.sbs table{font-size:12.5px}
.ev-diff{background:#fff8c5}
figure.walk{margin:8px 0;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
figure.walk figcaption{font-weight:600;margin-bottom:4px}
ol.path{list-style:none;margin:0;padding:0}
ol.path>li.hop{display:flex;align-items:center;gap:10px;margin:0 0 14px;position:relative}
ol.path>li.hop+li.hop::before{content:"↓";position:absolute;top:-15px;right:calc(50% - 4px);color:var(--muted)}
ol.s2chain,ol.main{list-style:none;margin:0;padding:0;display:flex;gap:6px;align-items:center;flex-wrap:wrap}
ol.s2chain{flex:1;justify-content:flex-end}ol.main{flex:1}
ol.s2chain::after{content:"→";color:var(--muted);font-size:18px}
li.node{border:1px solid #8c959f;border-radius:6px;padding:3px 7px;background:#fff;font-size:12.5px}
li.node.s2{background:#f6f8fa;border-style:dashed}
li.node .lvl{font-weight:700}
li.node.invalid{border:2px solid var(--fail);background:var(--fail-bg)}
li.node.block,li.node.page{border-color:var(--pass);border-width:2px}
li.note{color:var(--muted);font-size:12px}
.out{margin:0;color:var(--muted)}
.k{color:var(--muted)}
.muted{color:var(--muted)}
tr[hidden]{display:none}
.tgt{border-left:2px solid var(--line)}
`;

/** Filters (matrix and scenario list) and opening a failure from a link; works by ids, no framework. */
export const JS = `
(function(){
  function $(id){return document.getElementById(id);}
  function filterMatrix(){
    var area=$('f-area').value, only=$('f-failing').checked, text=$('f-text').value.toLowerCase(), shown=0;
    var rows=document.querySelectorAll('#matrix-table tbody tr');
    for(var i=0;i<rows.length;i++){
      var r=rows[i], ok=(area===''||r.getAttribute('data-area')===area)&&(!only||r.getAttribute('data-failing')==='1')&&(text===''||r.getAttribute('data-text').indexOf(text)>=0);
      r.hidden=!ok; if(ok)shown++;
    }
    $('matrix-count').textContent=shown+' of '+rows.length+' rules shown';
  }
  function filterScenarios(){
    var boxes=document.querySelectorAll('#state-filters input'), on={}, text=$('s-text').value.toLowerCase(), shown=0;
    for(var i=0;i<boxes.length;i++)on[boxes[i].value]=boxes[i].checked;
    var rows=document.querySelectorAll('#scenario-table tbody tr');
    for(var j=0;j<rows.length;j++){
      var r=rows[j], ok=on[r.getAttribute('data-state')]&&(text===''||r.getAttribute('data-id').indexOf(text)>=0);
      r.hidden=!ok; if(ok)shown++;
    }
    $('scenario-count').textContent=shown+' of '+rows.length+' scenarios shown';
  }
  function openFromHash(){
    var id=decodeURIComponent(location.hash.slice(1)), el=id?document.getElementById(id):null;
    if(el&&el.tagName==='DETAILS'){el.open=true;var s=el.querySelector('summary');if(s)s.focus();}
  }
  ['f-area','f-failing','f-text'].forEach(function(id){$(id).addEventListener('input',filterMatrix);$(id).addEventListener('change',filterMatrix);});
  $('s-text').addEventListener('input',filterScenarios);
  var boxes=document.querySelectorAll('#state-filters input');
  for(var i=0;i<boxes.length;i++)boxes[i].addEventListener('change',filterScenarios);
  window.addEventListener('hashchange',openFromHash);
  filterMatrix();filterScenarios();openFromHash();
})();
`;
