/**
 * The HTML report's timeline: a hand-written canvas view (no library, no network) of the data
 * TimelineCollector keeps (src/report/timeline/collect.ts): finding markers, HBA operations and
 * capture gaps on their own rows, a row per target:LUN lane with the tasks as bars, and a density
 * strip of all tasks. Mouse wheel zooms around the pointer, dragging pans, buttons zoom, pan and
 * reset; clicking a finding (on the canvas or in the list) zooms to it and shows its task.
 */
import type { TimelineData } from '../timeline/collect.js';
import { esc } from './svg.js';

/** JSON that is safe inside a <script> element (no "</script>", no line separators). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export const TIMELINE_STYLE = `
#timeline .tl-bar{display:flex;gap:.4em;flex-wrap:wrap;align-items:center;margin:.4em 0}
#timeline button{font:inherit;padding:.15em .6em;border:1px solid var(--line,#8884);border-radius:4px;background:transparent;color:inherit;cursor:pointer}
#timeline canvas{width:100%;display:block;border:1px solid var(--line,#8884);border-radius:4px;cursor:grab;touch-action:none}
#tl-detail{min-height:3.2em;padding:.4em .6em;border-left:3px solid #888;margin:.5em 0;white-space:pre-wrap;font-family:ui-monospace,Menlo,monospace;font-size:.85em}
#tl-findings{max-height:14em;overflow:auto;font-size:.9em}
#tl-findings li{margin:.1em 0}
`;

const SCRIPT = String.raw`(function(){
var D=JSON.parse(document.getElementById('tl-data').textContent);
var cv=document.getElementById('tl-canvas'),det=document.getElementById('tl-detail'),ctx=cv.getContext('2d');
var ROW=12,GAP=4,AXIS=18,LEFT=110,MAXLANES=24;
var span=Math.max(1,D.endNs-D.startNs),pad=span*0.01;
var full=[D.startNs-pad,D.endNs+pad],view=full.slice(),sel=null,selMark=null;
// Lanes among the kept tasks, per target:LUN: the first lane free at a task's start.
var lanesOf=D.groups.map(function(){return []});
D.tasks.sort(function(a,b){return a.s-b.s});
D.tasks.forEach(function(t){var ls=lanesOf[t.g],i=0;while(i<ls.length&&ls[i]>t.s)i++;if(i>=MAXLANES)i=MAXLANES-1;ls[i]=Math.max(ls[i]||0,t.e);t.l=i;});
var rows=[{name:'tasks started',kind:'density'},{name:'findings',kind:'findings'},{name:'HBA events',kind:'hba'},{name:'capture gaps',kind:'gaps'}];
var groupRow=[];
D.groups.forEach(function(g,i){groupRow[i]=rows.length;var n=Math.max(1,lanesOf[i].length);for(var l=0;l<n;l++)rows.push({name:l?'':'LUN '+g,kind:'lane',g:i,l:l});});
var H=AXIS+rows.length*(ROW+GAP)+GAP;
function rowY(r){return AXIS+GAP+r*(ROW+GAP)}
cv.dataset.findingsY=String(rowY(1)+ROW/2);
function W(){return cv.clientWidth}
function X(t){return LEFT+(t-view[0])/(view[1]-view[0])*(W()-LEFT)}
function T(x){return view[0]+(x-LEFT)/(W()-LEFT)*(view[1]-view[0])}
function color(n){return getComputedStyle(document.body).getPropertyValue(n)}
var dark=matchMedia&&matchMedia('(prefers-color-scheme: dark)').matches;
var C={good:dark?'#5b9bd5':'#2f6db5',bad:'#d64541',never:'#e08a1e',txt:dark?'#ddd':'#222',grid:dark?'#444':'#ddd',error:'#d64541',warning:'#e0a100',info:'#3a87c8',hba:'#7d5ba6',gap:'#999'};
function fmt(ns){var a=Math.abs(ns);if(a>=1e9)return (ns/1e9).toFixed(a>=1e10?1:3)+' s';if(a>=1e6)return (ns/1e6).toFixed(a>=1e7?1:3)+' ms';if(a>=1e3)return (ns/1e3).toFixed(a>=1e4?1:3)+' µs';return Math.round(ns)+' ns'}
function draw(){
  var w=W(),dpr=window.devicePixelRatio||1;cv.width=w*dpr;cv.height=H*dpr;cv.style.height=H+'px';ctx.setTransform(dpr,0,0,dpr,0,0);
  ctx.clearRect(0,0,w,H);ctx.font='11px system-ui,sans-serif';ctx.textBaseline='middle';
  // axis
  var step=Math.pow(10,Math.floor(Math.log10((view[1]-view[0])/6)));[1,2,5,10].some(function(m){if((view[1]-view[0])/(step*m)<=8){step*=m;return true}});
  ctx.strokeStyle=C.grid;ctx.fillStyle=C.txt;
  // Ticks at round multiples of step from the capture's start, labelled in the step's unit with the digits it needs.
  var unit=step>=1e9?[1e9,'s']:step>=1e6?[1e6,'ms']:step>=1e3?[1e3,'µs']:[1,'ns'],dig=Math.max(0,-Math.floor(Math.log10(step/unit[0])+1e-9));
  for(var t=Math.ceil((view[0]-D.startNs)/step)*step;t<=view[1]-D.startNs;t+=step){var x=X(t+D.startNs);ctx.beginPath();ctx.moveTo(x,AXIS-4);ctx.lineTo(x,H);ctx.stroke();ctx.fillText((t/unit[0]).toFixed(dig)+' '+unit[1],x+2,8);}
  rows.forEach(function(r,i){if(r.name){ctx.fillStyle=C.txt;ctx.fillText(r.name,4,rowY(i)+ROW/2);}});
  ctx.save();ctx.beginPath();ctx.rect(LEFT,0,w-LEFT,H);ctx.clip();
  // density
  var max=Math.max.apply(null,D.density.concat([1]));
  D.density.forEach(function(n,i){if(!n)return;var a=X(D.densityStartNs+i*D.bucketNs),b=X(D.densityStartNs+(i+1)*D.bucketNs);if(b<LEFT||a>w)return;var h=Math.max(1,ROW*n/max);ctx.fillStyle=C.good;ctx.fillRect(a,rowY(0)+ROW-h,Math.max(1,b-a-0.5),h);});
  function marks(list,row,col){list.forEach(function(m){var a=X(m.t),b=m.e!==undefined?X(m.e):a;if(b<LEFT-6||a>w+6)return;ctx.fillStyle=col(m);var y=rowY(row);if(b-a>=2){ctx.fillRect(a,y+2,b-a,ROW-4)}else{ctx.beginPath();ctx.moveTo(a,y+ROW);ctx.lineTo(a-4,y);ctx.lineTo(a+4,y);ctx.closePath();ctx.fill();}});}
  marks(D.hba,2,function(){return C.hba});marks(D.gaps,3,function(){return C.gap});
  var visible=0;
  D.tasks.forEach(function(t){var a=X(t.s),b=X(t.e);if(b<LEFT||a>w)return;visible++;var y=rowY(groupRow[t.g]+t.l);ctx.fillStyle=t.k===0?C.good:t.k===1?C.bad:C.never;ctx.fillRect(a,y,Math.max(1,b-a),ROW);if(t===sel){ctx.strokeStyle=C.txt;ctx.lineWidth=2;ctx.strokeRect(a-1,y-1,Math.max(1,b-a)+2,ROW+2);ctx.lineWidth=1;}if(b-a>60){ctx.fillStyle='#fff';ctx.fillText(t.n.slice(0,Math.floor((b-a)/6)),a+3,y+ROW/2);}});
  marks(D.findings,1,function(m){return C[m.k]||C.info});
  if(selMark){var sx=X(selMark.t);ctx.strokeStyle=C.txt;ctx.setLineDash([3,3]);ctx.beginPath();ctx.moveTo(sx,AXIS);ctx.lineTo(sx,H);ctx.stroke();ctx.setLineDash([]);}
  ctx.restore();
  cv.dataset.view=view[0]+','+view[1];cv.dataset.visibleTasks=String(visible);
}
function zoom(f,at){var c=at===undefined?(view[0]+view[1])/2:at;var a=c-(c-view[0])*f,b=c+(view[1]-c)*f;if(b-a<100){var m=(a+b)/2;a=m-50;b=m+50}view=[a,b];draw();}
function pan(fr){var d=(view[1]-view[0])*fr;view=[view[0]+d,view[1]+d];draw();}
function taskText(t){return t.n+'\n'+t.st+(t.sense?'  sense: '+t.sense:'')+'\ntask '+t.id+' · start '+fmt(t.s-D.startNs)+' · '+fmt(t.e-t.s)+'\nCDB '+t.cdb+'\n'+(D.files[t.f]||'trace')+' record '+t.r+' at byte offset '+t.o+' (0x'+t.o.toString(16)+')'+(t.rules?'\nfindings: '+t.rules.join(', '):'')}
function show(t,m){sel=t||null;selMark=m||null;var s='';if(m)s+=m.n+(m.k?' ('+m.k+')':'')+': '+m.msg+'\n'+(D.files[m.f]||'trace')+' byte offset '+m.o+'\n\n';if(t)s+=taskText(t);else if(m&&m.id!==undefined)s+='(task '+m.id+' is not among the tasks this report keeps)';det.textContent=s||'Click a task or a marker.';det.dataset.task=t?t.id:'';draw();}
function taskOf(m){if(m.id===undefined)return null;for(var i=0;i<D.tasks.length;i++){var t=D.tasks[i];if(t.id===m.id&&t.f===m.f&&t.s<=m.t+1&&t.e>=m.t-1)return t}for(i=0;i<D.tasks.length;i++){t=D.tasks[i];if(t.id===m.id&&t.f===m.f)return t}return null}
function focusFinding(i){var m=D.findings[i],t=taskOf(m);var a=t?Math.min(t.s,m.t):m.t,b=t?Math.max(t.e,m.t):m.t;var d=Math.max(b-a,1000);view=[a-d*1.5,b+d*1.5];show(t,m);}
function hit(x,y){var t=T(x),tol=(view[1]-view[0])/(W()-LEFT)*5;
  var r=Math.floor((y-AXIS-GAP/2)/(ROW+GAP));var row=rows[r];if(!row)return null;
  function near(list){var best=null,bd=Infinity;list.forEach(function(m,i){var e=m.e===undefined?m.t:m.e;var d=t<m.t?m.t-t:t>e?t-e:0;if(d<=tol&&d<bd){bd=d;best=i}});return best}
  if(row.kind==='findings'){var i=near(D.findings);return i===null?null:{finding:i}}
  if(row.kind==='hba'){i=near(D.hba);return i===null?null:{mark:D.hba[i]}}
  if(row.kind==='gaps'){i=near(D.gaps);return i===null?null:{mark:D.gaps[i]}}
  if(row.kind==='lane'){for(var k=0;k<D.tasks.length;k++){var q=D.tasks[k];if(q.g===row.g&&q.l===row.l&&q.s-tol<=t&&q.e+tol>=t)return {task:q}}}
  return null}
var drag=null;
cv.addEventListener('wheel',function(e){e.preventDefault();zoom(e.deltaY<0?0.8:1.25,T(e.offsetX));},{passive:false});
cv.addEventListener('pointerdown',function(e){drag={x:e.clientX,v:view.slice(),moved:false};cv.setPointerCapture(e.pointerId);cv.style.cursor='grabbing'});
cv.addEventListener('pointermove',function(e){if(!drag)return;var dx=e.clientX-drag.x;if(Math.abs(dx)>3)drag.moved=true;if(!drag.moved)return;var d=dx/(W()-LEFT)*(drag.v[1]-drag.v[0]);view=[drag.v[0]-d,drag.v[1]-d];draw();});
cv.addEventListener('pointerup',function(e){var was=drag;drag=null;cv.style.cursor='grab';if(was&&was.moved)return;var h=hit(e.offsetX,e.offsetY);if(!h)return;if(h.finding!==undefined)focusFinding(h.finding);else if(h.task)show(h.task,null);else if(h.mark)show(null,h.mark);});
document.querySelectorAll('#timeline [data-act]').forEach(function(b){b.addEventListener('click',function(){var a=b.dataset.act;if(a==='in')zoom(0.5);else if(a==='out')zoom(2);else if(a==='left')pan(-0.25);else if(a==='right')pan(0.25);else{view=full.slice();draw();}})});
document.querySelectorAll('#tl-findings [data-finding]').forEach(function(b){b.addEventListener('click',function(){focusFinding(Number(b.dataset.finding))})});
window.addEventListener('resize',draw);draw();
})();`;

/** The timeline section: canvas, controls, detail panel, findings list, data and script. */
export function renderTimelineSection(d: TimelineData): string {
  const left: string[] = [];
  if (d.omitted.tasks)
    left.push(
      `${d.omitted.tasks.toLocaleString('en')} of ${d.totalTasks.toLocaleString('en')} tasks are not drawn: each of ${d.density.length} equal stretches of the capture keeps its first tasks, and every failed, never-completed or flagged task is kept; the top row counts every task`,
    );
  if (d.omitted.findings) left.push(`${d.omitted.findings.toLocaleString('en')} further findings are not marked`);
  if (d.omitted.hba) left.push(`${d.omitted.hba.toLocaleString('en')} further HBA events are not drawn`);
  if (d.omitted.gaps) left.push(`${d.omitted.gaps.toLocaleString('en')} further capture gaps are not drawn`);
  const list = d.findings
    .map(
      (m, i) =>
        `<li><button type="button" data-finding="${i}">${esc(m.n)}</button> <span class="sev ${esc(m.k)}">${esc(m.k)}</span> ${esc(m.msg.length > 160 ? `${m.msg.slice(0, 160)}…` : m.msg)}</li>`,
    )
    .join('');
  return `<section id="timeline"><h2>Timeline</h2>
<div class="tl-bar"><button type="button" data-act="in">Zoom in</button><button type="button" data-act="out">Zoom out</button><button type="button" data-act="left">◀</button><button type="button" data-act="right">▶</button><button type="button" data-act="reset">Whole capture</button><span class="muted">Wheel: zoom · drag: pan · click a task or a marker for details</span></div>
<canvas id="tl-canvas" height="200" aria-label="Timeline of tasks, findings, HBA events and capture gaps"></canvas>
<div id="tl-detail" aria-live="polite">Click a task or a marker.</div>
<p class="muted">Bars: tasks (blue good, red failed, orange never completed), one row per target:LUN lane. ${esc(left.join('; '))}${left.length ? '.' : ''}</p>
${list ? `<ol id="tl-findings">${list}</ol>` : '<ol id="tl-findings"></ol>'}
<script type="application/json" id="tl-data">${scriptJson(d)}</script>
<script>${SCRIPT}</script>
</section>`;
}
