import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// Step/total, it/s and ETA of the running job.
ColumnLayout {
    id: panel
    required property StudioController controller

    function clock(seconds) {
        const s = Math.round(seconds)
        return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0")
    }

    ProgressBar {
        Layout.fillWidth: true
        from: 0
        to: Math.max(1, panel.controller.steps * panel.controller.batches)
        value: panel.controller.batch * panel.controller.steps + panel.controller.step
        indeterminate: panel.controller.queue.busy && panel.controller.steps === 0
    }
    Label {
        objectName: "progressLabel"
        opacity: 0.8
        text: panel.controller.steps === 0 ? (panel.controller.queue.busy ? panel.controller.status : qsTr("Idle"))
            : qsTr("Step %1/%2").arg(panel.controller.step).arg(panel.controller.steps)
              + (panel.controller.batches > 1 ? qsTr(" · batch %1/%2").arg(panel.controller.batch + 1).arg(panel.controller.batches) : "")
              + qsTr(" · %1 it/s · ETA %2").arg(panel.controller.itsPerSecond.toFixed(2)).arg(clock(panel.controller.etaSeconds))
    }
}
