"""Label Studio labeling config for masklet review: one task = one masklet.

Layout (names are the contract between the task builder and the annotation parser):

- ``<Header value="$context"/>``: video, masklet, frame numbers, model and scores as text; the
  verdict choices come next, above the frames, so they are on screen without scrolling.
- ``<Image name="frames" valueList="$frames"/>``: the masklet's frames as a paginated clip.
- ``<BrushLabels name="mask" toName="frames">``: one brush region per frame (``item_index``),
  label "masklet"; on an "add objects" task (one per video), each region labelled "new object" is
  an object the masklets miss.
- ``<Choices name="verdict">``: satisfactory / unsatisfactory / ill-defined, on masklet tasks
  (not marked required, since an "add objects" task takes no verdict: the parser rejects a masklet
  review without one, with that reason).
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from ui_adapters.records import Verdict

FRAMES_TAG = "frames"
BRUSH_TAG = "mask"
VERDICT_TAG = "verdict"
DEFAULT_LABEL = "masklet"
NEW_OBJECT_LABEL = "new object"
#: Brush colours: cyan and yellow stay visible on red tissue and on natural images alike.
MASKLET_COLOR = "#00c2ff"
NEW_OBJECT_COLOR = "#ffd60a"

#: What each verdict means, as SAM 2's annotators were told (arXiv 2408.00714, Sec. 5.1).
VERDICT_DEFINITIONS: dict[str, str] = {
    "satisfactory": "the masklet tracks the object correctly and consistently in every frame",
    "unsatisfactory": "a well-defined object, but the masklet is wrong on some frames: fix those frames "
                      "with the brush or eraser, the model re-propagates from them",
    "ill-defined": "not an object worth a masklet (background, a fragment, several things at once)",
}

#: Choice value shown in Label Studio -> verdict.
CHOICE_TO_VERDICT: dict[str, Verdict] = {
    "satisfactory": Verdict.SATISFACTORY,
    "unsatisfactory": Verdict.UNSATISFACTORY,
    "ill-defined": Verdict.ILL_DEFINED,
}


def build_label_config(*, label: str = DEFAULT_LABEL, color: str = MASKLET_COLOR,
                       new_color: str = NEW_OBJECT_COLOR) -> str:
    """The project's XML labeling config; ``label`` names the brush label of every masklet."""
    choices = "\n".join(
        f"    <Choice value={quoteattr(value)} hint={quoteattr(VERDICT_DEFINITIONS[value])}/>"
        for value in CHOICE_TO_VERDICT
    )
    return f"""<View>
  <Header value="$context" size="5"/>
  <Header value="Masklet task: one verdict on the whole masklet (edit wrong frames with the brush or
          eraser first). Add-objects task: no verdict, brush each missed object as 'new object'."
          size="6"/>
  <Choices name="{VERDICT_TAG}" toName="{FRAMES_TAG}" choice="single" showInline="true">
{choices}
  </Choices>
  <Image name="{FRAMES_TAG}" valueList="$frames" zoom="true" zoomControl="true"/>
  <BrushLabels name="{BRUSH_TAG}" toName="{FRAMES_TAG}">
    <Label value={quoteattr(label)} background={quoteattr(color)}/>
    <Label value={quoteattr(NEW_OBJECT_LABEL)} background={quoteattr(new_color)}/>
  </BrushLabels>
</View>"""


def review_instructions() -> str:
    """The project's instructions (HTML, shown before the first task): the job and the verdicts."""
    items = "".join(f"<li><b>{value}</b>: {VERDICT_DEFINITIONS[value]}.</li>" for value in CHOICE_TO_VERDICT)
    return (
        "<p>Each task is one masklet: one object's mask on the frames of a clip. Page through the "
        "frames (the header gives the video frame numbers and scores, and the lowest-scored frames to "
        "check first), then give one verdict for the whole masklet:</p>"
        f"<ul>{items}</ul>"
        "<p>Edit only the frames that are wrong; every edited frame counts as effort.</p>"
        "<p>Each video also has one <b>add objects</b> task showing the masks the round already has. "
        f"Brush every object nobody proposed, on one frame where it is clear, with the label "
        f"<b>{NEW_OBJECT_LABEL}</b> (one region per object), and submit; submit it empty when nothing is "
        "missing. The model tracks each new object through the video and it comes back as a masklet "
        "task.</p>"
    )
